import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { FastifyReply } from 'fastify';

const TYPES: Record<string, string> = {
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  csv: 'text/csv; charset=utf-8',
};

/**
 * Sends a report the existing writers produce (they write files, streaming, so memory stays flat): written into
 * a private temporary folder, streamed to the browser, removed once sent or when the client goes away.
 */
export async function sendReportFile(
  reply: FastifyReply,
  fileName: string,
  write: (file: string) => Promise<void>,
): Promise<FastifyReply> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'credit-etl-console-'));
  const file = path.join(folder, `report${path.extname(fileName)}`);
  try {
    await write(file);
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const stream = createReadStream(file);
  stream.on('close', () => void rm(folder, { recursive: true, force: true }));
  const extension = path.extname(fileName).slice(1);
  return reply
    .type(TYPES[extension] ?? 'application/octet-stream')
    .header(
      'Content-Disposition',
      `attachment; filename="report.${extension}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
    )
    .send(stream);
}
