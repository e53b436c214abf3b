import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { makeDirectory } from '../../../connectors/make-directory.ts';
import { todayInShanghai } from '../../../connectors/shanghai-time.ts';
import type { ConsoleDeps, UploadTimeouts } from '../console-deps.ts';
import { userOf } from '../console-request.ts';

/*
 * The reception of a direct-report upload, apart from the page (direct-report-page.ts: the form, the run, the
 * result): receiving the multipart stream, its timeouts and size limit, writing the file as it arrives and deleting
 * what was stored of it when the upload fails. It is the part where the platform's disk, a slow or stalled network
 * and a hostile client meet, with its own reasons and tests (test/console-direct-report-review.test.ts), and it
 * grew to half of the page: kept in a file of its own, the page stays readable and this stays reviewable as one.
 */

/** An upload received whole: the entry chosen and the file as stored in the staging directory. */
export interface ReceivedUpload {
  catalog: string;
  /** The name the provider's file had (its base name, made safe). */
  name: string;
  /** Where it was saved in the staging directory. */
  file: string;
}

/** Why an upload is not taken: the provider's to read (Chinese), with its status. */
export interface UploadProblem {
  problem: string;
  status: number;
  /** Given up while it was still arriving (stalled, or too slow): its connection is closed after the answer. */
  givenUp?: boolean;
}

/** An upload for an entry that is not among the provider's own: none of its file was stored. */
export interface RefusedEntry {
  /** The entry as typed (the caller shows and logs it masked). */
  refusedEntry: string;
}

/** What the reception needs to know of the upload. */
export interface UploadRules {
  maxBytes: number;
  timeouts: UploadTimeouts;
  /** The entries the provider reports: a file for any other is read to its end but never stored. */
  entries: readonly string[];
}

/**
 * Reads the multipart form: the entry (`catalog`), then the file, streamed into a directory of its own under
 * `<staging>/direct-report/<day>/`; its size is checked while it streams, and a file over the limit is deleted.
 * The file is stored only when the entry before it is one of the provider's own: a file for another entry, or with
 * no entry before it, is read to its end and dropped, not a byte of it written (refused as such when the form
 * ends). An upload of which nothing arrives for `timeouts.idleMs`, or that has not arrived whole after `totalMs`, is
 * given up (408): it holds its slot no longer, and what was stored of it is deleted.
 */
export async function receiveUpload(
  request: FastifyRequest,
  deps: ConsoleDeps,
  rules: UploadRules,
): Promise<ReceivedUpload | UploadProblem | RefusedEntry> {
  const { maxBytes, timeouts, entries } = rules;
  const directory = path.join(
    deps.stagingDir,
    'direct-report',
    todayInShanghai(),
    randomBytes(8).toString('hex'),
  );
  const arrival = watchArrival(request.raw.socket, timeouts);
  const form: ReadForm = { catalog: '', dropped: false };
  const reading = readParts(request, directory, entries, form);
  let first: undefined | GivenUp;
  try {
    first = await Promise.race([reading, arrival.givenUp]);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    // A file for another entry that is also too big: the entry is what the provider must change first.
    if (form.dropped && (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      return entryProblem(form, entries);
    return unreadUpload(error, request, deps, maxBytes);
  } finally {
    arrival.stop();
  }
  if (first === 'idle' || first === 'total') {
    // The reading ends when the connection does (closed after the answer), or the rest comes after all: either
    // way, nothing of it is kept.
    const forget = () => rm(directory, { recursive: true, force: true });
    void reading.then(forget, forget);
    deps.logger.warn(
      `console: direct report by ${userOf(request).name} given up: ${first === 'idle' ? `nothing arrived for ${timeouts.idleMs} ms` : `not arrived whole after ${timeouts.totalMs} ms`}; nothing kept`,
    );
    return {
      problem:
        first === 'idle'
          ? `上传中断：已有 ${duration(timeouts.idleMs)}没有收到文件数据，未入库任何数据。请检查网络后重新上传。`
          : `上传超时：文件未能在 ${duration(timeouts.totalMs)}内传完，未入库任何数据。网络较慢时，请将文件压缩为 ZIP 后重新上传，或经前置库、SFTP 等渠道报送。`,
      status: 408,
      givenUp: true,
    };
  }
  if (form.saved) return { catalog: form.catalog, ...form.saved };
  if (form.dropped) return entryProblem(form, entries);
  return { problem: '请选择要上传的文件（CSV、XLSX，或装有它们的 ZIP、GZ）', status: 400 };
}

/**
 * Closes the connection of an upload given up while it was still arriving, once the answer is sent, and the request
 * with it (Node forgets a request once it is answered: its body would wait for ever), which ends the reading of the
 * form and deletes what was stored. A client that sends nothing more holds nothing.
 */
export function closeAfterAnswer(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('Connection', 'close');
  request.raw.socket.once('close', () => request.raw.destroy());
}

/** The form as read so far: what a failure in the middle still knows. */
interface ReadForm {
  /** The entry chosen: the one before the file, or (none before it) the first after it. */
  catalog: string;
  /** The file (its name made safe) as written in the staging directory; none if no file (with a name) came. */
  saved?: { name: string; file: string };
  /**
   * A file came, but the entry before it was not the provider's own (or came after it): read to its end, not a
   * byte of it written.
   */
  dropped: boolean;
}

/** Why a dropped file is refused: no entry, another's entry (403), or the provider's own sent after the file. */
function entryProblem(form: ReadForm, entries: readonly string[]): UploadProblem | RefusedEntry {
  if (!form.catalog) return { problem: '请选择报送的目录', status: 400 };
  if (!entries.includes(form.catalog)) return { refusedEntry: form.catalog };
  // The page's form sends the entry first; a client of its own that sends it after the file is told so.
  return {
    problem: '表单中的目录须在文件之前提交，未入库任何数据：请从本页的表单重新上传',
    status: 400,
  };
}

/**
 * Reads the parts of the form into `form`: the entry typed, and the file, saved in `directory` when the entry
 * before it is one of `entries` (none is saved if no file was sent). An entry after the file changes nothing
 * stored: it is kept only to say what was wrong.
 */
async function readParts(
  request: FastifyRequest,
  directory: string,
  entries: readonly string[],
  form: ReadForm,
): Promise<undefined> {
  let catalogSeen = false;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      if (part.fieldname === 'catalog' && typeof part.value === 'string') {
        if ((!form.saved && !form.dropped) || !catalogSeen) form.catalog = part.value.trim();
        catalogSeen = true;
      }
      continue;
    }
    if (part.fieldname !== 'file' || form.saved || form.dropped) {
      part.file.resume();
      continue;
    }
    const name = safeFileName(part.filename);
    if (!name) {
      part.file.resume();
      continue;
    }
    if (!entries.includes(form.catalog)) {
      form.dropped = true;
      part.file.resume();
      continue;
    }
    await makeDirectory(directory);
    const file = path.join(directory, name);
    await pipeline(part.file, createWriteStream(file));
    form.saved = { name, file };
  }
  return undefined;
}

/**
 * Why an upload could not be read, for the provider: a file over the limit (413), a form of more than one file or
 * more fields than the page's (400), a body cut off or not multipart as announced (400), the browser gone. The
 * platform's own failure to store it (a full disk: an error with a system call) is thrown on, a 500.
 */
function unreadUpload(
  error: unknown,
  request: FastifyRequest,
  deps: ConsoleDeps,
  maxBytes: number,
): UploadProblem {
  const code = (error as { code?: string }).code;
  if (code === 'FST_REQ_FILE_TOO_LARGE')
    return {
      problem: `文件超过直报上限 ${sizeText(maxBytes)}，未接收：请拆分后分别上传，或经前置库、SFTP 等渠道报送`,
      status: 413,
    };
  if ((error as NodeJS.ErrnoException).syscall !== undefined) throw error;
  const who = userOf(request).name;
  const why = (error as Error).message;
  if (code === 'FST_FILES_LIMIT') {
    deps.logger.warn(`console: direct report by ${who} refused: more than one file`);
    return {
      problem: '一次只能上传一个文件，未入库任何数据：请只选择一个文件后重新上传（多个文件可装进一个 ZIP）',
      status: 400,
    };
  }
  if (code === 'FST_FIELDS_LIMIT' || code === 'FST_PARTS_LIMIT') {
    deps.logger.warn(`console: direct report by ${who} refused: more fields than the form has`);
    return {
      problem: '提交的表单字段过多（本页的表单只有目录和文件两项），未入库任何数据：请从本页的表单重新上传',
      status: 400,
    };
  }
  // The browser went away in the middle (a closed tab, a lost network): nobody reads the answer; a fact, no error.
  if (request.raw.destroyed && !request.raw.complete)
    deps.logger.info(
      `console: direct report by ${who}: the browser went away before the file arrived whole (${why}); nothing kept`,
    );
  else deps.logger.warn(`console: direct report by ${who} could not be read (${why}); nothing kept`);
  return { problem: '上传不完整或格式有误，未入库任何数据，请重新上传', status: 400 };
}

/** Why an upload was given up while it arrived: nothing for too long, or not whole in time. */
type GivenUp = 'idle' | 'total';

/**
 * Watches an upload arrive, by the bytes its connection has read: `givenUp` settles when none came for `idleMs`
 * or `totalMs` have passed since it began. Checked a few times a second at most (a stall is minutes).
 */
function watchArrival(
  socket: Socket,
  { idleMs, totalMs }: UploadTimeouts,
): { givenUp: Promise<GivenUp>; stop(): void } {
  const started = Date.now();
  let bytes = socket.bytesRead;
  let lastByte = started;
  let timer: NodeJS.Timeout | undefined;
  const givenUp = new Promise<GivenUp>((resolve) => {
    timer = setInterval(
      () => {
        const now = Date.now();
        if (socket.bytesRead !== bytes) {
          bytes = socket.bytesRead;
          lastByte = now;
        }
        const why = now - started >= totalMs ? 'total' : now - lastByte >= idleMs ? 'idle' : undefined;
        if (!why) return;
        clearInterval(timer);
        resolve(why);
      },
      Math.min(1000, Math.max(10, idleMs / 5)),
    );
    timer.unref();
  });
  return { givenUp, stop: () => clearInterval(timer) };
}

/** A duration as the page says it: `2 分钟`, `1.5 秒`. */
function duration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} 分钟` : `${Math.round(ms / 100) / 10} 秒`;
}

/**
 * Bytes of a stored file name: file systems count a name's bytes (ext4, XFS: 255), and a CJK character is 3 of
 * them in UTF-8, so a cap in characters is none (150 characters = 450 bytes: ENAMETOOLONG, a 500).
 */
export const MAX_FILE_NAME_BYTES = 200;

/** What ends a name and says its format (`.csv`, `.xlsx`, `.csv.gz`): kept when a long name is cut. */
const FORMAT_SUFFIX = /(?:\.[A-Za-z0-9]{1,8}){1,2}$/;

/**
 * A file name to store and show: its base name, no control characters, at most MAX_FILE_NAME_BYTES bytes of
 * UTF-8. A longer name keeps its beginning and its format suffix (`.csv`, `.csv.gz`: the format is read from it),
 * cut between characters, never inside one.
 */
export function safeFileName(name: string | undefined): string | undefined {
  const base = path.basename((name ?? '').replace(/\\/g, '/'));
  const clean = base.replace(/\p{Cc}/gu, '').trim();
  if (!clean || clean === '.' || clean === '..') return undefined;
  if (Buffer.byteLength(clean) <= MAX_FILE_NAME_BYTES) return clean;
  const suffix = FORMAT_SUFFIX.exec(clean)?.[0] ?? '';
  const stem = clean.slice(0, clean.length - suffix.length);
  // A stem of one huge character (a letter under a hundred combining marks) keeps a name all the same.
  return `${bytesOf(stem, MAX_FILE_NAME_BYTES - suffix.length).trimEnd() || '文件'}${suffix}`;
}

/** The longest beginning of `text` of at most `max` UTF-8 bytes, ending between characters (graphemes). */
function bytesOf(text: string, max: number): string {
  let kept = '';
  let bytes = 0;
  for (const { segment } of new Intl.Segmenter('zh', { granularity: 'grapheme' }).segment(text)) {
    bytes += Buffer.byteLength(segment);
    if (bytes > max) break;
    kept += segment;
  }
  return kept;
}

/** A size as the provider reads it, never more than it is: `100 MB`, `64 KB`, `1.4 KB`, `900 字节`. */
export function sizeText(bytes: number): string {
  const tenths = (value: number) => Math.floor(value * 10) / 10;
  if (bytes >= 1024 * 1024) return `${tenths(bytes / 1024 / 1024)} MB`;
  if (bytes >= 1024) return `${tenths(bytes / 1024)} KB`;
  return `${bytes} 字节`;
}
