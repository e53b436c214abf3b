import type { Knex } from 'knex';
import { SHOWS_NOTHING } from './051-grounds-visible.ts';

/**
 * What a person writes into an objection or a notice's log must show something, as a legal procedure's grounds
 * must since 051. 013 and 016 checked `btrim(…) <> ''`, which strips ASCII spaces only: `objection open 3
 * --applicant $'\u0085' --reason $'\u200e\u3164' --operator $'\u2800'` marked a record 异议处理中 on an objection
 * nobody can read, and `notice sent 1 --channel email --to $'\u3164'` logged a notice sent to no one. Now each of
 * these needs a character outside 051's SHOWS_NOTHING (the same list the workflow checks first, src/identifiers/
 * shown-text.ts):
 *
 * - `objections`: the applicant and the reason;
 * - `objection_log`: the operator; the basis where the step needs one (close, appeal, outcome: 013) and wherever
 *   one is given; a note wherever one is given (the steps that take a note from the officer need one: the workflow
 *   says so, 013 requires none in the table);
 * - `notice_events`: the channel, the recipient, the basis and the operator wherever given (016 asked the same of
 *   ASCII spaces only); the note of an escalation, which 016's `btrim(note) <> ''` let be null, and any other note
 *   given.
 *
 * One named check per field (`<table>_<field>_shows_something`), so a refusal names the field. No plpgsql function
 * checks these texts (objections_write() and objection_log_write() check records, order and remedies; the notice
 * log has only its append-only trigger), so none is replaced and no search_path is pinned. The checks are NOT
 * VALID: they hold for every row appended from now on and leave rows written before as they are (both logs are
 * append-only: their triggers refuse to change a row anyway). 013's and 016's checks stay beside them.
 */

/** A text that holds at least one character that shows (null: none), as 051's. */
const shows = (value: string) => `coalesce(${value} ~ '[^${SHOWS_NOTHING}]', false)`;

/** Given (not null), it shows something. */
const givenShows = (value: string) => `${value} IS NULL OR ${shows(value)}`;

const CHECKS: ReadonlyArray<readonly [table: string, field: string, check: string]> = [
  ['objections', 'applicant', shows('applicant')],
  ['objections', 'reason', shows('reason')],
  ['objection_log', 'operator', shows('operator')],
  ['objection_log', 'basis', `(basis IS NULL AND action IN ('open', 'note')) OR ${shows('basis')}`],
  ['objection_log', 'note', givenShows('note')],
  ['notice_events', 'channel', givenShows('channel')],
  ['notice_events', 'recipient', givenShows('recipient')],
  ['notice_events', 'basis', givenShows('basis')],
  ['notice_events', 'operator', shows('operator')],
  ['notice_events', 'note', `(note IS NULL AND kind <> 'escalated') OR ${shows('note')}`],
];

const name = (table: string, field: string) => `${table}_${field}_shows_something`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(
    CHECKS.map(
      ([table, field, check]) =>
        `ALTER TABLE ${table} ADD CONSTRAINT ${name(table, field)} CHECK (${check}) NOT VALID;`,
    ).join('\n'),
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(
    [...CHECKS]
      .reverse()
      .map(([table, field]) => `ALTER TABLE ${table} DROP CONSTRAINT ${name(table, field)};`)
      .join('\n'),
  );
}
