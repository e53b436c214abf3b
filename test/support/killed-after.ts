import { type ChildProcess, spawn } from 'node:child_process';
import { type CliResult, startCli } from './run-cli.ts';

/**
 * A child process's result, and whether it had to be killed. For code that must end by itself at once: Node's
 * recursive mkdir never returns under /proc (ENOENT there although /proc exists, retried forever at full CPU, deaf
 * to SIGTERM), so a regression is killed and fails instead of hanging the suite.
 */
export interface TimedResult extends CliResult {
  timedOut: boolean;
}

export const WITHIN_MS = 20_000;

/** `result`, or the child SIGKILLed (a spinning mkdir is deaf to SIGTERM) after `ms` and `timedOut` true. */
export async function killedAfter(
  child: ChildProcess,
  result: Promise<CliResult>,
  ms = WITHIN_MS,
): Promise<TimedResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, ms);
  try {
    return { ...(await result), timedOut };
  } finally {
    clearTimeout(timer);
  }
}

/** `credit-etl <args>` as runCli runs it, killed after 20 s. */
export function cliWithin(args: string[], env: NodeJS.ProcessEnv): Promise<TimedResult> {
  const running = startCli(args, env);
  return killedAfter(running.child, running.result);
}

/** `node <args>` in a child process from `cwd`, killed after 20 s as the CLI is. */
export function nodeWithin(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<TimedResult> {
  const child = spawn(process.execPath, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return killedAfter(
    child,
    new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  );
}
