import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliPipelineFixture, openCliPipelineFixture } from './support/cli-pipeline-fixture.ts';
import { writePenaltyCsv } from './support/generated-file.ts';
import { sftpTransportConfig } from './support/sftp-server.ts';
import { type SftpServerAsUser, startSftpServerAsUser } from './support/sftp-server-as-user.ts';

const listed = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

// An SFTP file the server refuses the platform's login to open (mode 000 on the server: permission denied) is the
// platform's problem, as a local drop's file its user may not read is (`file-unreadable`): nothing is recorded
// against the file or its provider, it stays on the server (not moved to failed/), the other files load, the run
// ends `failed` naming it, and the next run loads it once it is readable. The server is the SFTP test server, run
// by an OS user of its own (root, which the tests run as, reads a file of any mode).
describe('credit-etl run: an SFTP drop file the server may not read', { timeout: 180_000 }, () => {
  let cli: CliPipelineFixture;
  let server: SftpServerAsUser;

  beforeAll(async () => {
    cli = await openCliPipelineFixture('sftp_permission_denied');
    server = await startSftpServerAsUser();
  });
  afterAll(async () => {
    await server?.close();
    await cli?.fx.close();
  });

  it('is not charged to the provider, stays on the server, fails the run naming it, and loads once readable', async () => {
    const { fx } = cli;
    const drop = path.join(server.root, 'drop');
    mkdirSync(drop);
    for (const [i, name] of ['a.csv', 'b.csv'].entries()) {
      writePenaltyCsv(drop, name, 4, { seed: 40 + i });
      writeFileSync(path.join(drop, `${name}.done`), '');
    }
    server.own();
    chmodSync(path.join(drop, 'b.csv'), 0o000);
    cli.pipeline('sftp-denied', {
      transport: sftpTransportConfig(server, '/drop'),
      retry: { attempts: 1, backoffSeconds: 0 },
    });
    const env = { SFTP_PASSWORD: server.password };

    const first = await cli.runJson('sftp-denied', env);
    expect(first.code, first.stderr).toBe(1);
    expect(first.summary.status).toBe('failed');
    expect(
      first.summary.files.map((file: { name: string; status: string }) => [file.name, file.status]),
    ).toEqual([['a.csv', 'loaded']]);
    const notRead =
      /^b\.csv: not read \[remote-permission-denied\]: 无法下载 sftp:\/\/127\.0\.0\.1:\d+\/drop\/b\.csv，未入库任何数据：SFTP 服务器拒绝平台读取该文件.*left where it is, nothing recorded against it or its provider/;
    expect(first.summary.unsettled).toEqual([expect.stringMatching(notRead)]);
    const run = await fx.warehouse('runs').where({ id: first.summary.runId }).first();
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^b\.csv: not read \[remote-permission-denied\]/m);

    // Nothing against the provider: no failed file, no rejection, no notice.
    expect(await fx.warehouse('source_files').where({ name: 'b.csv' })).toEqual([]);
    expect(await fx.warehouse('source_files').where({ status: 'failed' })).toEqual([]);
    expect(Number((await fx.warehouse('rejections').count('* as n').first())?.n)).toBe(0);
    expect(Number((await fx.warehouse('notices').count('* as n').first())?.n)).toBe(0);
    // Left on the server with its marker, not moved to failed/.
    expect(listed(drop)).toEqual(['b.csv', 'b.csv.done', 'processed']);
    expect(listed(path.join(drop, 'processed'))).toEqual(['a.csv', 'a.csv.done']);

    // Made readable on the server: the next run loads it.
    chmodSync(path.join(drop, 'b.csv'), 0o644);
    const second = await cli.runJson('sftp-denied', env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.summary.status).toBe('completed');
    expect(
      second.summary.files.map((file: { name: string; status: string }) => [file.name, file.status]),
    ).toEqual([['b.csv', 'loaded']]);
    expect(listed(drop)).toEqual(['processed']);
    expect(listed(path.join(drop, 'processed'))).toEqual(['a.csv', 'a.csv.done', 'b.csv', 'b.csv.done']);
    const loaded = await fx.warehouse('source_files').where({ name: 'b.csv' });
    expect(loaded.map((file) => file.status)).toEqual(['loaded']);
  });
});
