import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny upstream for tests, the demo route and benchmarks. By default it answers JSON
 * `{ method, url, path, query, headers, body }` (body as text). A path segment pair
 * anywhere in the path selects a behaviour, so it works behind any service path or
 * route prefix:
 *
 * - `/delay/{ms}`    wait before answering (timeouts)
 * - `/status/{code}` answer with that status
 * - `/stream/{n}`    send n chunks, 20 ms apart (response streaming)
 * - `/large/{bytes}` send that many bytes, with backpressure (large downloads)
 * - `/pipe`          stream the request body straight back as it arrives (duplex streaming)
 * - `/count`         read the body without keeping it; answer `{ bytes, firstChunkAt, endAt }`
 *
 * `?response_header=Name:Value` (repeatable) adds response headers, e.g. to test
 * hop-by-hop removal. `pages` serves fixed HTML at exact paths (the demo's start page).
 */

export interface EchoUpstream {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EchoReply {
  method: string;
  url: string;
  path: string;
  query: Record<string, string | string[]>;
  headers: IncomingMessage['headers'];
  body: string;
}

function numberAfter(segments: string[], name: string): number | undefined {
  const i = segments.indexOf(name);
  if (i === -1 || i + 1 >= segments.length) return undefined;
  const n = Number(segments[i + 1]);
  return Number.isFinite(n) ? n : undefined;
}

function queryObject(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else out[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function extraHeaders(query: URLSearchParams): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const value of query.getAll('response_header')) {
    const colon = value.indexOf(':');
    if (colon > 0) out.push([value.slice(0, colon).trim(), value.slice(colon + 1).trim()]);
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string | Buffer, type: string, extra: Array<[string, string]>): void {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.setHeader('content-length', Buffer.byteLength(body));
  for (const [name, value] of extra) res.appendHeader(name, value);
  res.end(body);
}

async function writeLarge(res: ServerResponse, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  let left = bytes;
  while (left > 0) {
    const piece = left >= chunk.length ? chunk : chunk.subarray(0, left);
    left -= piece.length;
    if (!res.write(piece)) await new Promise<void>((resolve) => res.once('drain', resolve));
    if (res.destroyed) return;
  }
  res.end();
}

async function respond(req: IncomingMessage, res: ServerResponse, pages: Readonly<Record<string, string>>): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const page = Object.hasOwn(pages, path) ? pages[path] : undefined;
  if (page !== undefined && (req.method === 'GET' || req.method === 'HEAD')) {
    send(res, 200, page, 'text/html; charset=utf-8', []);
    return;
  }
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const segments = path.split('/');
  const extra = q === -1 ? [] : extraHeaders(query);

  if (segments.includes('pipe')) {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    // Headers go out at once, so the client can read while it still sends.
    res.flushHeaders();
    req.pipe(res);
    return;
  }

  if (segments.includes('count')) {
    let bytes = 0;
    let firstChunkAt: number | null = null;
    for await (const chunk of req) {
      firstChunkAt ??= Date.now();
      bytes += (chunk as Buffer).length;
    }
    send(res, 200, JSON.stringify({ bytes, firstChunkAt, endAt: Date.now() }), 'application/json', extra);
    return;
  }

  const bodyText = await readBody(req);
  const delay = numberAfter(segments, 'delay');
  if (delay !== undefined) await new Promise((resolve) => setTimeout(resolve, delay));

  const large = numberAfter(segments, 'large');
  if (large !== undefined) {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': large, ...Object.fromEntries(extra) });
    await writeLarge(res, large);
    return;
  }

  const stream = numberAfter(segments, 'stream');
  if (stream !== undefined) {
    res.writeHead(200, { 'content-type': 'text/plain', ...Object.fromEntries(extra) });
    for (let i = 0; i < stream; i++) {
      res.write(`chunk ${i}\n`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (res.destroyed) return;
    }
    res.end();
    return;
  }

  const reply: EchoReply = {
    method: req.method ?? '',
    url,
    path,
    query: queryObject(query),
    headers: req.headers,
    body: bodyText,
  };
  const status = numberAfter(segments, 'status') ?? 200;
  send(res, status, JSON.stringify(reply), 'application/json', extra);
}

export async function startEchoUpstream(
  options: {
    host?: string;
    port?: number;
    /** HTML pages by exact path, answered instead of the echo (the demo's start page). */
    pages?: Readonly<Record<string, string>>;
  } = {},
): Promise<EchoUpstream> {
  const host = options.host ?? '127.0.0.1';
  const pages = options.pages ?? {};
  const server = createServer((req, res) => {
    respond(req, res, pages).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from the proxy's pools would hold close() open.
        server.closeAllConnections();
      }),
  };
}
