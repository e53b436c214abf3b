import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { PROJECT_ROOT } from '../src/config/config.ts';

const GNU_TIME = '/usr/bin/time';

export interface MeasuredProcess {
  code: number | null;
  /** The signal that ended it (an abort, a kill), if any. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  peakRssMb: number;
}

/**
 * `node <nodeArgs>` as a child process, so the peak RSS is its own (worker threads included): GNU time's maximum
 * resident set size when /usr/bin/time exists, else VmHWM from /proc polled until exit.
 */
export async function measureNode(nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<MeasuredProcess> {
  const useTime = existsSync(GNU_TIME);
  const [command, args] = useTime
    ? [GNU_TIME, ['-f', 'peak-rss-kb=%M', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const started = performance.now();
  const child = spawn(command, args, {
    cwd: PROJECT_ROOT,
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
  let polledKb = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => {
        const kb = Number(/VmHWM:\s+(\d+)/.exec(readProcStatus(child.pid))?.[1] ?? 0);
        if (kb > polledKb) polledKb = kb;
      }, 50);
  const [code, ownSignal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  if (poll) clearInterval(poll);
  // Under GNU time the child's signal is only in its words: "Command terminated by signal 6".
  const timed = /Command terminated by signal (\d+)/.exec(stderr);
  const signal = ownSignal ?? (timed ? signalName(Number(timed[1])) : null);
  const peakKb = useTime ? Number(/peak-rss-kb=(\d+)/.exec(stderr)?.[1] ?? 0) : polledKb;
  return { code, signal, stdout, stderr, ms: performance.now() - started, peakRssMb: peakKb / 1024 };
}

function signalName(number: number): NodeJS.Signals {
  const found = Object.entries(os.constants.signals).find(([, value]) => value === number);
  return (found?.[0] ?? 'SIGABRT') as NodeJS.Signals;
}

function readProcStatus(pid: number | undefined): string {
  try {
    return pid === undefined ? '' : readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}
