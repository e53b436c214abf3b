import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/config.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A `credit-etl` child process still running: its output so far, and its result once it exits. */
export interface RunningCli {
  child: ChildProcess;
  output(): string;
  result: Promise<CliResult>;
}

/** Runs `credit-etl …` as a child process against the test database, as an operator would. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: StartOptions = {},
): Promise<CliResult> {
  return startCli(args, env, options).result;
}

export interface StartOptions {
  /** Flags for node before the script, e.g. `--import` of a test hook. */
  nodeArgs?: string[];
  /** In a process group of its own, as a terminal's foreground job: `process.kill(-pid, …)` is its Ctrl-C. */
  processGroup?: boolean;
  /** Run through its `#!` line with the node flags it ships, as `npx credit-etl` does (not `node <script>`). */
  asExecutable?: boolean;
  /** Written to its stdin, which is then closed, as a password given on stdin (none: it has no stdin). */
  stdin?: string;
}

/** Starts `credit-etl …` as a child process, for tests that signal it while it works. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, options: StartOptions = {}): RunningCli {
  const script = path.join(PROJECT_ROOT, 'bin/credit-etl.js');
  const [command, commandArgs] = options.asExecutable
    ? [script, args]
    : [process.execPath, [...(options.nodeArgs ?? []), script, ...args]];
  const child = spawn(command, commandArgs, {
    env: { ...process.env, ...env },
    stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: options.processGroup ?? false,
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return {
    child,
    output: () => stdout + stderr,
    result: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))),
  };
}
