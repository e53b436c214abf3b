import { UsageError } from './exit-codes.ts';

/**
 * A password, never from argv (it would sit in the shell history and in `ps`): with `fromStdin`, everything on
 * standard input without its final line break (`printf %s "$PW" | credit-etl users add … --password-stdin`);
 * else asked twice on the terminal, not echoed.
 */
export async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY)
    throw new UsageError('no terminal to ask the password on: pipe it in with --password-stdin');
  const first = await ask('密码 / password: ');
  const second = await ask('再输入一次 / again: ');
  if (first !== second) throw new UsageError('the two passwords differ: nothing changed');
  return first;
}

function ask(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let typed = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const onData = (text: string) => {
      for (const char of text) {
        if (char === '\r' || char === '\n') {
          done();
          resolve(typed);
          return;
        }
        if (char === '\u0003') {
          done();
          reject(new UsageError('cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    const done = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}
