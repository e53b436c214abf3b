import { Transform } from 'node:stream';
import { DEFAULT_LIMITS } from '../limits.ts';
import { bytesText } from './bytes-text.ts';
import { FileDropFileError } from './file-drop/file-drop-port.ts';

/**
 * 4 GiB: the same bound as `CREDIT_ETL_MAX_EXPANDED_BYTES`' default, the most one archive entry may unpack to, so
 * a file sent as itself may be as large as one sent zipped. The largest real delivery measured is a 1 GB CSV.
 */
export const DEFAULT_MAX_FILE_BYTES = DEFAULT_LIMITS.maxExpandedBytes;

/** The `maxFileBytes` of a file drop's transport section (`sftp`, `drop-folder`). */
export const MAX_FILE_BYTES_SCHEMA = { type: 'integer', minimum: 1 } as const;

/**
 * The operators' remark after a file over the limit: the pipeline's `maxFileBytes`, which only they can change.
 * What a provider reads (the direct-report page, the report it downloads, a review notice) is the message without
 * it (src/report/provider-message.ts).
 */
export const FILE_BYTES_OPERATOR_NOTE = '（运维人员可在管道 transport 的 maxFileBytes 调整上限）';

/** How the file's bytes were being taken when they passed the limit: downloaded (SFTP) or read where they lie. */
export type TakenBy = 'download' | 'read';

const WORDS = {
  download: { taking: '下载', got: '收到' },
  read: { taking: '读取', got: '读到' },
} as const;

/**
 * The provider's file is over the pipeline's limit: it fails alone, with a message for the provider (Chinese,
 * naming the file, its size and the limit) and the operator's setting in brackets. `received`: the bytes taken
 * when the stream passed the limit (the file grew after it was listed, or a server listed it wrong).
 */
export function fileTooLarge(
  file: string,
  maxBytes: number,
  sizes: { listed: number; received?: number },
  takenBy: TakenBy,
): FileDropFileError {
  const { taking, got } = WORDS[takenBy];
  const size =
    sizes.received === undefined
      ? `大小为 ${bytesText(sizes.listed)}`
      : `${taking}时超过了上限（列出时为 ${bytesText(sizes.listed)}，${got} ${bytesText(sizes.received)} 时停止${taking}）`;
  return new FileDropFileError(
    'file-too-large',
    `文件 ${file} ${size}，超过该渠道单个文件的上限 ${bytesText(maxBytes)}，未入库任何数据：` +
      `请把数据拆分为多个较小的文件（或压缩为 .zip）后分别报送${FILE_BYTES_OPERATOR_NOTE}`,
  );
}

/**
 * Passes a file's bytes on while they stay within `maxBytes`; the chunk that would pass it is never passed on
 * (a file that grows while it is taken never fills a disk or keeps a reader going): the stream fails with
 * `tooLarge(received)`, `received` counting that chunk.
 */
export function sizeLimitGuard(maxBytes: number, tooLarge: (received: number) => Error): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (size + chunk.length > maxBytes) {
        callback(tooLarge(size + chunk.length));
        return;
      }
      size += chunk.length;
      callback(null, chunk);
    },
  });
}
