import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** One POST an alert receiver got: path and query as sent, and the JSON body. */
export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: unknown;
}

/**
 * A loopback HTTP server standing in for a generic webhook, a 企业微信 robot and a 钉钉 robot: it records every
 * POST and answers like the robots (`{"errcode":0,"errmsg":"ok"}`), or with the statuses scripted in `fail`.
 */
export interface AlertReceiver {
  url: string;
  posts: ReceivedPost[];
  /** HTTP statuses for the next requests, consumed one per request. */
  fail: number[];
  close(): Promise<void>;
}

export async function startAlertReceiver(): Promise<AlertReceiver> {
  const state: AlertReceiver = { url: '', posts: [], fail: [], close: async () => undefined };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      state.posts.push({
        path: url.pathname,
        query: url.searchParams,
        contentType: request.headers['content-type'],
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      const status = state.fail.shift();
      if (status) {
        response.writeHead(status);
        return response.end('busy');
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"errcode":0,"errmsg":"ok"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A message the SMTP server accepted, decoded: envelope, headers, subject and text body. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  subject: string;
  text: string;
}

export interface SmtpTestServer {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on 127.0.0.1, plain text, no auth: it keeps every message it receives. */
export async function startSmtpTestServer(): Promise<SmtpTestServer> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((to) => to.address),
          raw,
          ...decodeMail(raw),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The subject (RFC 2047 words) and the single text part (base64 or quoted-printable) of a plain message. */
function decodeMail(raw: string): { subject: string; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const body = raw.slice(split + 4);
  const header = (name: string) =>
    head
      .split('\r\n')
      .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      ?.slice(name.length + 1)
      .trim() ?? '';
  const subject = header('Subject')
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?utf-8\?([bq])\?([^?]*)\?=/gi, (_word, encoding: string, text: string) =>
      encoding.toLowerCase() === 'b'
        ? Buffer.from(text, 'base64').toString('latin1')
        : qpBytes(text.replace(/_/g, ' ')),
    );
  const encoding = header('Content-Transfer-Encoding').toLowerCase();
  const text =
    encoding === 'base64'
      ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
      : encoding === 'quoted-printable'
        ? Buffer.from(qpBytes(body.replace(/=\r\n/g, '')), 'latin1').toString('utf8')
        : body;
  // Adjacent encoded words may split a character's bytes: join the bytes, then decode UTF-8 once.
  return {
    subject: Buffer.from(subject, 'latin1').toString('utf8'),
    text: text.replace(/\r\n/g, '\n').trimEnd(),
  };
}

/** `=XX` escapes to the bytes they stand for, as a latin1 string (one char per byte). */
function qpBytes(text: string): string {
  return text.replace(/=([0-9A-F]{2})/gi, (_escape, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
}
