import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does to the next request instead of answering properly. */
export type Misbehaviour =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'slow'; ms: number }
  | { kind: 'malformed' }
  | { kind: 'huge'; bytes: number }
  | { kind: 'reset' };

/**
 * A paged JSON data interface on 127.0.0.1 at `/api/xzcf`: `page`/`size`, `offset`/`limit` or `cursor` paging,
 * records at `data.list`, next cursor at `data.next`; misbehaves as scripted.
 */
export interface HttpTestServer {
  url: string;
  records: Record<string, string>[];
  /** Consumed one per request, in order. */
  script: Misbehaviour[];
  requests: { url: string; authorization: string | undefined }[];
  /** When set, requests without `Authorization: Bearer <token>` get 401. */
  token?: string;
  close(): Promise<void>;
}

export async function startHttpTestServer(): Promise<HttpTestServer> {
  const timers = new Set<NodeJS.Timeout>();
  const state: HttpTestServer = {
    url: '',
    records: [],
    script: [],
    requests: [],
    close: async () => undefined,
  };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    state.requests.push({ url: url.search, authorization: request.headers.authorization });
    const misbehaviour = state.script.shift();
    if (misbehaviour?.kind === 'reset') return request.socket.destroy();
    if (misbehaviour?.kind === 'status') {
      response.writeHead(
        misbehaviour.status,
        misbehaviour.retryAfter ? { 'retry-after': misbehaviour.retryAfter } : {},
      );
      return response.end('{"code":500}');
    }
    if (state.token && request.headers.authorization !== `Bearer ${state.token}`) {
      response.writeHead(401);
      return response.end();
    }
    const respond = () => {
      if (misbehaviour?.kind === 'malformed') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end('{"data": {"list": [{"CF_XDR_MC": "半截');
      }
      if (misbehaviour?.kind === 'huge') {
        // No content-length: the cap must hold while streaming.
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{"data": {"list": [], "pad": "');
        response.write('x'.repeat(misbehaviour.bytes));
        return response.end('"}}');
      }
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
      response.end(JSON.stringify(page(state.records, url.searchParams)));
    };
    if (misbehaviour?.kind === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!response.destroyed) respond();
      }, misbehaviour.ms);
      timers.add(timer);
    } else respond();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/xzcf`;
  state.close = async () => {
    for (const timer of timers) clearTimeout(timer);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return state;
}

function page(records: Record<string, string>[], params: URLSearchParams) {
  const size = Number(params.get('size') ?? params.get('limit') ?? 100);
  let start = 0;
  if (params.has('page')) start = (Number(params.get('page')) - 1) * size;
  else if (params.has('offset')) start = Number(params.get('offset'));
  else if (params.has('cursor'))
    start = Number(Buffer.from(params.get('cursor') ?? '', 'base64url').toString());
  const list = records.slice(start, start + size);
  const end = start + list.length;
  const next = end < records.length ? Buffer.from(String(end)).toString('base64url') : null;
  return { code: 0, data: { list, total: records.length, next } };
}
