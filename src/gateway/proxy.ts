import type { IncomingMessage } from 'node:http';
import { EventEmitter } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import { GatehouseError } from '../errors.js';
import type { ServiceEntity } from '../model/gateway.js';
import { PROXY_CLIENT_GONE, PROXY_UPSTREAM_INVALID, PROXY_UPSTREAM_TIMEOUT, PROXY_UPSTREAM_UNAVAILABLE } from './error-codes.js';

/**
 * Forwarding to upstream services with undici: one connection pool per upstream origin
 * (and connect timeout), kept across requests and configuration reloads so keep-alive
 * connections survive; bodies streamed both ways; Kong's timeouts, retries and
 * hop-by-hop header rules.
 */

// ---------------------------------------------------------------------------------------
// Pools

export interface Upstream {
  /** `origin|connect_timeout`: services sharing both share the pool. */
  readonly key: string;
  readonly origin: string;
  readonly pool: Pool;
}

export interface UpstreamPoolsOptions {
  /**
   * Idle keep-alive sockets are closed after this many ms (undici's default is 4 s;
   * a server's `Keep-Alive: timeout=` hint lowers it, which avoids most races with
   * upstreams closing idle connections).
   */
  keepAliveTimeout?: number;
  /** Most sockets per origin; unlimited by default, as nginx. */
  connections?: number;
}

function originOf(service: ServiceEntity): string {
  // IPv6 literals need brackets in a URL.
  const host = service.host.includes(':') && !service.host.startsWith('[') ? `[${service.host}]` : service.host;
  return `${service.protocol}://${host}:${service.port}`;
}

/** The long-lived set of upstream pools; snapshots hold `Upstream`s from here. */
export class UpstreamPools {
  readonly #pools = new Map<string, Upstream>();
  readonly #options: UpstreamPoolsOptions;

  constructor(options: UpstreamPoolsOptions = {}) {
    this.#options = options;
  }

  /** The pool for a service, created on first use (undici connects lazily). */
  acquire(service: ServiceEntity): Upstream {
    const origin = originOf(service);
    const key = `${origin}|${service.connect_timeout}`;
    let upstream = this.#pools.get(key);
    if (!upstream) {
      const pool = new Pool(origin, {
        connect: { timeout: service.connect_timeout },
        keepAliveTimeout: this.#options.keepAliveTimeout,
        connections: this.#options.connections ?? null,
      });
      upstream = { key, origin, pool };
      this.#pools.set(key, upstream);
    }
    return upstream;
  }

  /** Closes pools whose key is not in `keys` (after a reload dropped their last service). */
  retainOnly(keys: ReadonlySet<string>): void {
    for (const [key, upstream] of this.#pools) {
      if (keys.has(key)) continue;
      this.#pools.delete(key);
      // close() lets requests in flight finish; destroy stragglers' errors are irrelevant here.
      upstream.pool.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((u) => u.pool.close().catch(() => undefined)));
  }
}

// ---------------------------------------------------------------------------------------
// Errors, with Kong's messages and a stable code

const BAD_GATEWAY_MESSAGE = 'An invalid response was received from the upstream server';
const TIMEOUT_MESSAGE = 'The upstream server is timed out';

/** Failures that happen while connecting, so nothing of the request was sent: safe to retry. */
const CONNECT_FAILURES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function toProxyError(error: unknown, reason: string | null): GatehouseError {
  if (error instanceof GatehouseError) return error;
  if (reason === PROXY_UPSTREAM_TIMEOUT) return new GatehouseError(PROXY_UPSTREAM_TIMEOUT, TIMEOUT_MESSAGE, { status: 504, cause: error });
  if (reason === PROXY_CLIENT_GONE) return new GatehouseError(PROXY_CLIENT_GONE, 'the client closed the connection', { status: 499, cause: error });
  const code = errorCode(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new GatehouseError(PROXY_UPSTREAM_TIMEOUT, TIMEOUT_MESSAGE, { status: 504, cause: error });
  }
  if (code !== undefined && (CONNECT_FAILURES.has(code) || code === 'ENOTFOUND')) {
    return new GatehouseError(PROXY_UPSTREAM_UNAVAILABLE, BAD_GATEWAY_MESSAGE, { status: 502, cause: error });
  }
  // Resets, early closes, unparsable responses: the upstream gave no valid answer.
  return new GatehouseError(PROXY_UPSTREAM_INVALID, BAD_GATEWAY_MESSAGE, { status: 502, cause: error });
}

// ---------------------------------------------------------------------------------------
// Forwarding

/**
 * Aborts one upstream exchange. An EventEmitter is undici's cheapest signal; the reason
 * is kept here because undici reports every abort as a plain RequestAbortedError.
 */
export class ExchangeSignal extends EventEmitter {
  reason: string | null = null;

  abort(reason: string): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.emit('abort');
  }
}

/**
 * The client's request body as undici consumes it. Wrapping the client stream (instead
 * of handing it to undici) means undici never destroys the client socket on failure, so
 * the client still gets a 502/504, and it lets us see whether anything was read (a retry
 * is only safe before that) and time the upstream's writes (`write_timeout`): the time
 * from handing undici a chunk until it asks for the next one is the time the upstream
 * took to accept it.
 */
class RequestBody implements AsyncIterable<Buffer> {
  started = false;
  readonly #source: IncomingMessage;
  readonly #signal: ExchangeSignal;
  readonly #writeTimeout: number;

  constructor(source: IncomingMessage, signal: ExchangeSignal, writeTimeout: number) {
    this.#source = source;
    this.#signal = signal;
    this.#writeTimeout = writeTimeout;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    this.started = true;
    const signal = this.#signal;
    // Only the time undici holds a chunk counts; a slow client is not the upstream's fault.
    let writing = false;
    const timer =
      this.#writeTimeout > 0
        ? setTimeout(() => {
            if (writing) signal.abort(PROXY_UPSTREAM_TIMEOUT);
          }, this.#writeTimeout).unref()
        : null;
    // Keep the client stream alive when undici stops early: we still owe the client a response.
    const chunks = this.#source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>;
    try {
      for await (const chunk of chunks) {
        writing = true;
        // refresh() also re-arms a timer that already fired while idle.
        timer?.refresh();
        yield chunk;
        writing = false;
      }
    } finally {
      if (timer) clearTimeout(timer);
      // undici stopped early (upstream failed or answered first). Node only discards an
      // unread body by itself when nobody started reading it; discard the rest here, as
      // nginx does, or the client's upload stalls and its connection hangs.
      if (!this.#source.readableEnded) this.#source.resume();
    }
  }
}

export interface ForwardRequest {
  upstream: Upstream;
  method: string;
  /** Escaped path plus raw query, as sent upstream. */
  path: string;
  /** Flat name/value list, already without hop-by-hop headers. */
  headers: string[];
  /** The client request when it carries a body, else `null`. */
  body: IncomingMessage | null;
  /** Kong's `read_timeout` (ms): waiting for response headers, and between body chunks. */
  readTimeout: number;
  /** Kong's `write_timeout` (ms): the upstream accepting one chunk of the request body. */
  writeTimeout: number;
  /** Kong's `retries`: further attempts after a connection failure, before anything was sent. */
  retries: number;
  signal: ExchangeSignal;
}

/**
 * Sends the request upstream and resolves with the response headers and a streaming
 * body. Rejects with a GatehouseError: 502 (`PROXY_UPSTREAM_UNAVAILABLE` when the
 * connection failed, `PROXY_UPSTREAM_INVALID` for resets and bad responses) or 504
 * (`PROXY_UPSTREAM_TIMEOUT`).
 */
export async function forward(request: ForwardRequest): Promise<Dispatcher.ResponseData> {
  const { signal } = request;
  for (let attempt = 0; ; attempt++) {
    const body = request.body === null ? null : new RequestBody(request.body, signal, request.writeTimeout);
    try {
      return await request.upstream.pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        // undici accepts async iterables at runtime; its types list only Readable.
        body: body as unknown as Dispatcher.DispatchOptions['body'],
        headersTimeout: request.readTimeout,
        bodyTimeout: request.readTimeout,
        signal,
      });
    } catch (error) {
      const code = errorCode(error);
      const retryable =
        signal.reason === null && code !== undefined && CONNECT_FAILURES.has(code) && (body === null || !body.started);
      if (retryable && attempt < request.retries) continue;
      throw toProxyError(error, signal.reason);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Headers

/** Hop-by-hop headers (RFC 9110 §7.6.1, plus `Proxy-*`), never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  // httpoxy: a `Proxy` request header must never reach an upstream that reads it as HTTP_PROXY.
  'proxy',
]);

/** Request headers the proxy sets itself (or undici refuses), skipped when copying the client's. */
const MANAGED_REQUEST_HEADERS = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'expect',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** Tokens of a Connection header that name further hop-by-hop headers; null when there are none. */
function connectionTokens(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  // The common values name no other header.
  if (text === 'keep-alive' || text === 'close' || text === 'Keep-Alive' || text === 'upgrade') return null;
  const tokens: string[] = [];
  for (const part of text.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '' && token !== 'close' && token !== 'keep-alive') tokens.push(token);
  }
  return tokens.length > 0 ? tokens : null;
}

export interface UpstreamHeaderValues {
  /** Host header to send (preserve_host), or `null` to let undici send the upstream's host. */
  host: string | null;
  xForwardedFor: string;
  xForwardedProto: string;
  xForwardedHost: string;
  xForwardedPort: string;
  xForwardedPath: string;
  /** Only when strip_path removed something, as Kong. */
  xForwardedPrefix: string | null;
  xRealIp: string;
  via: string | null;
  /** Client headers not to forward (the route's identity headers), or null. */
  removed: ReadonlySet<string> | null;
  /** Forward client headers whose names contain `_` (GATEHOUSE_ALLOW_UNDERSCORE_HEADERS). */
  underscores: boolean;
  /** Plugin changes (`ctx.upstreamHeaders`): a value replaces, `null` removes. */
  overrides: ReadonlyMap<string, string | null> | null;
}

/**
 * The upstream request headers: the client's, in their original case and order and
 * with duplicates kept, minus hop-by-hop and proxy-managed ones, names with `_` (unless
 * allowed) and the route's identity headers, plus X-Forwarded-*, X-Real-IP, Host
 * (preserve_host) and the plugins' changes, which win. This is the one place where what
 * a client sent is filtered before it reaches an upstream.
 */
export function upstreamRequestHeaders(req: IncomingMessage, values: UpstreamHeaderValues): string[] {
  const raw = req.rawHeaders;
  const extra = connectionTokens(req.headers.connection);
  const overrides = values.overrides;
  const removed = values.removed;
  const underscores = values.underscores;
  const out: string[] = [];

  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (!underscores && name.includes('_')) continue;
    const lower = name.toLowerCase();
    if (MANAGED_REQUEST_HEADERS.has(lower)) continue;
    if (extra !== null && extra.includes(lower)) continue;
    if (removed !== null && removed.has(lower)) continue;
    if (overrides !== null && overrides.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }

  const contentLength = req.headers['content-length'];
  if (contentLength !== undefined) out.push('content-length', contentLength);
  if (values.host !== null) out.push('host', values.host);
  out.push(
    'x-forwarded-for', values.xForwardedFor,
    'x-forwarded-proto', values.xForwardedProto,
    'x-forwarded-host', values.xForwardedHost,
    'x-forwarded-port', values.xForwardedPort,
    'x-forwarded-path', values.xForwardedPath,
  );
  if (values.xForwardedPrefix !== null) out.push('x-forwarded-prefix', values.xForwardedPrefix);
  out.push('x-real-ip', values.xRealIp);
  if (values.via !== null) out.push('via', values.via);

  if (overrides !== null) {
    for (const [name, value] of overrides) {
      // Managed headers (X-Forwarded-*, Host) are the plugin's to replace; hop-by-hop ones are not.
      if (value === null || HOP_BY_HOP.has(name) || name === 'expect') continue;
      if (name === 'host' || name.startsWith('x-forwarded-') || name === 'x-real-ip' || name === 'via' || name === 'content-length') {
        removePair(out, name);
      }
      out.push(name, value);
    }
  }
  return out;
}

function removePair(list: string[], lowerName: string): void {
  for (let i = list.length - 2; i >= 0; i -= 2) {
    if (list[i]!.toLowerCase() === lowerName) list.splice(i, 2);
  }
}

/** Removes hop-by-hop headers from an upstream response, in place. */
export function stripResponseHopByHop(headers: Record<string, string | string[] | undefined>): void {
  const extra = connectionTokens(headers.connection);
  if (extra !== null) for (const name of extra) if (headers[name] !== undefined) delete headers[name];
  for (const name of HOP_BY_HOP) if (headers[name] !== undefined) delete headers[name];
}

/** Whether a client request carries a body (HTTP/1.1 framing: a length or a transfer coding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}
