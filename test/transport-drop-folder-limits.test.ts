import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropFolderTransport } from '../connectors/transports/drop-folder.ts';
import { FileDropFileError } from '../connectors/transports/file-drop/file-drop-port.ts';
import { LocalDropPort } from '../connectors/transports/file-drop/local-drop-port.ts';
import { toCsv } from '../fixtures/generate/penalty-rows.ts';
import { PENALTY_HEADER, penaltyRows, pollAndIngest, transportContext } from './support/penalty-delivery.ts';
import { openWarehouseFixture, type WarehouseFixture } from './support/warehouse-fixture.ts';

const KiB = 1024;
const filler = (bytes: number) => Buffer.alloc(bytes, 'x');
const list = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);

// A local drop folder has the same file-size limit as an SFTP drop (maxFileBytes, default 4 GiB): checked on the
// listed size, then on the bytes as they are read (a file still being written past it).
describe('drop folders: the file size limit (maxFileBytes)', () => {
  let fx: WarehouseFixture;
  beforeAll(async () => {
    fx = await openWarehouseFixture('drop_folder_limits');
  });
  afterAll(async () => {
    await fx?.close();
  });

  /** A delivery with its `.ok` marker in a folder of its own under the scratch directory. */
  const drop = (dir: string, name: string, content: string | Buffer) => {
    const folder = path.join(fx.scratch, dir);
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, name), content);
    writeFileSync(path.join(folder, `${name}.ok`), '');
    return folder;
  };

  it('is a setting of the drop-folder section, a positive number of bytes, 4 GiB by default', () => {
    expect(
      (dropFolderTransport.configSchema as { properties: Record<string, unknown> }).properties.maxFileBytes,
    ).toEqual({
      type: 'integer',
      minimum: 1,
      default: 4 * 1024 * 1024 * 1024,
    });
  });

  it('fails a file listed over the limit alone (file-too-large, to failed/), and the other files load', async () => {
    const folder = drop('huge', 'a-huge.csv', filler(64 * KiB));
    drop('huge', 'b-small.csv', toCsv(PENALTY_HEADER, penaltyRows(3, 'local-limit')));
    const transport = dropFolderTransport.create(
      { directory: folder, stableSizeMs: 50, maxFileBytes: 32 * KiB },
      transportContext(fx),
    );
    const { summary } = await pollAndIngest(fx, transport);
    await transport.close();
    const [huge, small] = summary?.files ?? [];
    expect(small).toMatchObject({ name: 'b-small.csv', status: 'loaded' });
    expect(summary?.counts.inserted).toBe(3);
    expect(huge).toMatchObject({ name: 'a-huge.csv', status: 'failed', error: { code: 'file-too-large' } });
    // The provider's words, as an SFTP drop says them: the file, its size and the limit.
    expect(huge?.error?.message).toContain('文件 a-huge.csv 大小为 65536 字节（64 KiB）');
    expect(huge?.error?.message).toContain('上限 32768 字节（32 KiB）');
    expect(huge?.error?.message).toMatch(/未入库任何数据：请把数据拆分/);
    expect(list(path.join(folder, 'failed'))).toEqual(['a-huge.csv', 'a-huge.csv.ok']);
    expect(list(path.join(folder, 'processed'))).toEqual(['b-small.csv', 'b-small.csv.ok']);
  });

  it('is checked while reading: a file still growing past the limit stops at it', async () => {
    const folder = drop('growing', 'growing.csv', filler(100 * KiB));
    // Listed at 100 KiB; written on since: the bytes read are counted, not the listed size.
    appendFileSync(path.join(folder, 'growing.csv'), filler(500 * KiB));
    const error = await new LocalDropPort(256 * KiB)
      .fetch(folder, { name: 'growing.csv', size: 100 * KiB, mtimeMs: 0 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileDropFileError);
    expect(error).toMatchObject({ code: 'file-too-large' });
    expect((error as Error).message).toContain('读取时超过了上限（列出时为 102400 字节（100 KiB）');
    expect((error as Error).message).toContain('上限 262144 字节（256 KiB）');
  });

  it('a file within the limit is read once, hashed as it is (the transport reads it no second time)', async () => {
    const folder = drop('within', 'within.csv', filler(10 * KiB));
    const fetched = await new LocalDropPort(10 * KiB).fetch(folder, {
      name: 'within.csv',
      size: 10 * KiB,
      mtimeMs: 0,
    });
    expect(fetched.sha256).toBe(
      createHash('sha256')
        .update(filler(10 * KiB))
        .digest('hex'),
    );
  });
});
