import type { Command } from 'commander';
import { registerObjectionAppeal } from './objection-appeal-command.ts';
import { registerObjectionCheck } from './objection-check-command.ts';
import { registerObjectionClose, registerObjectionOutcome } from './objection-decision-commands.ts';
import { registerObjectionList } from './objection-list-command.ts';
import { registerObjectionOpen } from './objection-open-command.ts';
import { registerObjectionShow } from './objection-show-command.ts';

/**
 * `objection open|list|show|close|appeal|outcome|check`: objections (异议, Art. 18). Registering one marks the
 * record at once (异议处理中); the platform must answer within 3 working days of receipt; an upheld result is
 * carried out by a legal procedure; appeals, administrative review and lawsuits follow on the same objection.
 * Every step is in the append-only, hash-chained objection log. Writing steps act as the officer role (a login
 * that is only an officer may run them), listing and showing as any role; `check` records a run, as the engine.
 */
export function registerObjectionCommand(program: Command): void {
  const objection = program
    .command('objection')
    .description(
      'objections (异议, Art. 18): register (marks the record), list, show, close within 3 working days, appeal stages',
    );
  // In the order `objection --help` lists them.
  registerObjectionOpen(objection);
  registerObjectionList(objection);
  registerObjectionShow(objection);
  registerObjectionClose(objection);
  registerObjectionAppeal(objection);
  registerObjectionOutcome(objection);
  registerObjectionCheck(objection);
}
