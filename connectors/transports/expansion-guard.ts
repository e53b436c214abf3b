import { Transform } from 'node:stream';
import { FileFormatError } from '../contracts.ts';
import type { Limits } from '../limits.ts';
import { bytesText } from './bytes-text.ts';

const CHUNK = 256 * 1024;

/**
 * Expansion ratios are only judged past this many bytes: a small, very repetitive file is no threat. Low, so
 * that a bomb is stopped before a slow reader (a parser stuck on one endless line) has to take in much of it.
 */
const RATIO_CHECKED_FROM = 1024 * 1024;

/**
 * The operators' remarks after an entry stopped at a limit: the settings only they can change. What a provider
 * reads (the direct-report page, the report it downloads, a review notice) is the message without them
 * (src/report/provider-message.ts).
 */
export const EXPANDED_BYTES_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_EXPANDED_BYTES 调整上限）';
export const EXPANSION_RATIO_OPERATOR_NOTE = '（运维人员可用 CREDIT_ETL_MAX_EXPANSION_RATIO 调整上限）';

/**
 * Counts the bytes an archive entry expands to while they stream, and stops at the limits: past the
 * expanded-bytes cap, or (past 1 MiB) at an expansion ratio no real delivery has, measured against the
 * compressed bytes the decompressor has consumed so far (`compressedBytes`, its `bytesWritten`), so a bomb stops
 * after about 1 MiB whatever its size on disk. An entry stored uncompressed (zip method 0) has no
 * decompressor and no ratio to judge (`compressedBytes` undefined), but the cap on its bytes holds all the same.
 */
export function expansionGuard(label: string, limits: Limits, compressedBytes?: () => number): Transform {
  let expanded = 0;
  return new Transform({
    highWaterMark: CHUNK,
    transform(chunk: Buffer, _encoding, callback) {
      expanded += chunk.length;
      if (expanded > limits.maxExpandedBytes) {
        return callback(
          new FileFormatError(
            'decompression-limit',
            `${label}解压后超过 ${bytesText(limits.maxExpandedBytes, 'short')}（单个压缩文件解压后的上限），已停止读取，未入库任何数据；请拆分为多个较小的文件后重新报送${EXPANDED_BYTES_OPERATOR_NOTE}`,
          ),
        );
      }
      const compressed = compressedBytes?.() ?? expanded;
      if (expanded > RATIO_CHECKED_FROM && expanded > limits.maxExpansionRatio * compressed) {
        return callback(
          new FileFormatError(
            'decompression-limit',
            `${label}的压缩比超过 ${limits.maxExpansionRatio} 倍（${bytesText(compressed, 'short')} 压缩数据解压出 ${bytesText(expanded, 'short')}），不像正常的数据文件（疑似“压缩炸弹”，或含大量重复内容的超长行），已停止读取，未入库任何数据；请检查文件内容，改正后重新报送${EXPANSION_RATIO_OPERATOR_NOTE}`,
          ),
        );
      }
      callback(null, chunk);
    },
  });
}
