import { setsCookie, withoutCookies, withoutQueryArguments } from './request-filters.js';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ConsumerEntity, RouteEntity, ServiceEntity } from '../model/gateway.js';
import { normalizePath, escapePath, joinUpstreamPath } from './paths.js';
import type { GatewayRequest, PluginResponse, RequestContext, UpstreamResponseInfo } from './plugin.js';
import {
  CLIENT_GONE,
  ExchangeSignal,
  UPSTREAM_TIMEOUT,
  UPSTREAM_UNAVAILABLE,
  forward,
  hasBody,
  stripResponseHopByHop,
  upstreamRequestHeaders,
} from './proxy.js';
import { ProxyErrors, mergeHeaders, sendError, sendPluginResponse, type ProxyErrorSpec } from './respond.js';
import { hostnameOf, portOf } from './router.js';
import type { GatewaySnapshot, PluginChain, PluginInstance } from './snapshot.js';
import { TrustedProxies, plainIp } from './trusted-proxies.js';

/**
 * The proxy listener: every request no other Fastify route claims is matched to a
 * route, runs the route's plugins, and is forwarded upstream with bodies streamed.
 *
 * The proxy runs from an `onRequest` hook on requests Fastify found no route for,
 * rather than from a catch-all route: that way Fastify never looks at the body (no
 * content-type parsing, no 415 for unusual media types), every method works (including
 * WebDAV and custom ones), and routes other modules add to this instance (`/login`,
 * `/.well-known/jwks.json`) still take precedence.
 */

export interface ProxyServerOptions {
  /** Where the current configuration snapshot comes from (read once per request). */
  state: { readonly snapshot: GatewaySnapshot };
  /** For errors on the proxy path; Fastify's own request logging stays off. */
  log: Logger;
  /** Load balancers whose X-Forwarded-* / X-Real-IP headers are believed (IPs or CIDRs). */
  trustedIps?: readonly string[];
  /** Add `Via: 1.1 gatehouse` to upstream requests and client responses. Default false. */
  via?: boolean;
  /** Add `X-Gatehouse-Upstream-Latency` and `X-Gatehouse-Proxy-Latency` (ms) to proxied responses. Default true. */
  latencyHeaders?: boolean;
  /** Forward client headers whose names contain `_` (GATEHOUSE_ALLOW_UNDERSCORE_HEADERS). Default false, as nginx and Kong. */
  allowUnderscoreHeaders?: boolean;
}

const VIA = '1.1 gatehouse';
const HTTPS_REQUIRED_HEADERS = { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' };
const EMPTY_QUERY = '';

interface Runtime {
  state: { readonly snapshot: GatewaySnapshot };
  log: Logger;
  trusted: TrustedProxies | null;
  via: boolean;
  latency: boolean;
  underscores: boolean;
}

/** The request as plugins see it. A class so the query is parsed only when a plugin asks. */
class ProxyRequest implements GatewayRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly scheme: 'http' | 'https';
  readonly host: string;
  readonly remoteAddress: string;
  readonly raw: IncomingMessage;
  readonly #queryStart: number;
  #query: URLSearchParams | undefined;

  constructor(raw: IncomingMessage, url: string, path: string, queryStart: number, scheme: 'http' | 'https', host: string, remoteAddress: string) {
    this.method = raw.method!;
    this.url = url;
    this.path = path;
    this.headers = raw.headers;
    this.scheme = scheme;
    this.host = host;
    this.remoteAddress = remoteAddress;
    this.raw = raw;
    this.#queryStart = queryStart;
  }

  get query(): URLSearchParams {
    return (this.#query ??= new URLSearchParams(this.#queryStart === -1 ? EMPTY_QUERY : this.url.slice(this.#queryStart + 1)));
  }
}

/** The per-request plugin context. Maps are created on first use: most requests never touch them. */
class ProxyContext implements RequestContext {
  readonly request: GatewayRequest;
  readonly route: RouteEntity;
  readonly service: ServiceEntity | null;
  consumer: ConsumerEntity | null = null;
  credential: string | null = null;
  authenticatedGroups: string[] | null = null;
  readonly log: Logger;
  readonly #snapshot: GatewaySnapshot;
  #upstreamHeaders: Map<string, string | null> | undefined;
  #responseHeaders: Map<string, string[]> | undefined;
  #shared: Map<string, unknown> | undefined;
  #queryRemovals: Set<string> | undefined;

  constructor(request: GatewayRequest, route: RouteEntity, service: ServiceEntity | null, snapshot: GatewaySnapshot, log: Logger) {
    this.request = request;
    this.route = route;
    this.service = service;
    this.#snapshot = snapshot;
    this.log = log;
  }

  get upstreamHeaders(): Map<string, string | null> {
    return (this.#upstreamHeaders ??= new Map());
  }

  get responseHeaders(): Map<string, string[]> {
    return (this.#responseHeaders ??= new Map());
  }

  get shared(): Map<string, unknown> {
    return (this.#shared ??= new Map());
  }

  /** Plugin upstream header changes with names lower-cased, or null when there are none. */
  upstreamHeaderChanges(): Map<string, string | null> | null {
    const changes = this.#upstreamHeaders;
    if (changes === undefined || changes.size === 0) return null;
    for (const name of changes.keys()) {
      if (name !== name.toLowerCase()) {
        // Plugins should use lower case; normalize rather than send two headers.
        const normalized = new Map<string, string | null>();
        for (const [key, value] of changes) normalized.set(key.toLowerCase(), value);
        return normalized;
      }
    }
    return changes;
  }

  /** Response headers plugins added, or null. */
  responseHeaderAdditions(): Map<string, string[]> | null {
    const additions = this.#responseHeaders;
    if (additions === undefined || additions.size === 0) return null;
    return additions;
  }

  findConsumer(by: 'id' | 'username' | 'custom_id', value: string): ConsumerEntity | undefined {
    return this.#snapshot.findConsumer(by, value);
  }

  removeUpstreamQueryArgument(name: string): void {
    (this.#queryRemovals ??= new Set()).add(name);
  }

  /** Query arguments plugins removed, or null. */
  upstreamQueryRemovals(): ReadonlySet<string> | null {
    return this.#queryRemovals ?? null;
  }
}

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

// Per-exchange state for shared listeners, so no closure is allocated per request.
const kSignal = Symbol('gatehouse.signal');
const kClient = Symbol('gatehouse.client');
type TrackedResponse = ServerResponse & { [kSignal]?: ExchangeSignal };
type UpstreamBody = Dispatcher.ResponseData['body'] & { [kClient]?: ServerResponse };

/**
 * Drops an upstream body we will not relay. undici's body emits an `UND_ERR_ABORTED`
 * error when destroyed before its end; without a listener that error would crash the
 * process (a client hanging up while a plugin ran was enough).
 */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', ignoreError);
  body.destroy();
}

function ignoreError(): void {}

function onClientClose(this: TrackedResponse): void {
  // The client left before the response completed: abort the upstream exchange too
  // (undici then closes that connection and destroys the body being piped).
  if (!this.writableFinished) this[kSignal]?.abort(CLIENT_GONE);
}

function onUpstreamBodyError(this: UpstreamBody): void {
  // The upstream broke mid-body (reset, read_timeout). The status is already sent: cut
  // the client connection so the truncated response does not look complete.
  this[kClient]?.destroy();
}

function logPluginError(rt: Runtime, phase: string, instance: PluginInstance, route: RouteEntity, req: IncomingMessage, path: string, error: unknown): void {
  // Never the headers or the query: they carry tokens and cookies.
  rt.log.error(
    {
      plugin: { id: instance.plugin.id, name: instance.name },
      route: route.id,
      method: req.method,
      path,
      err: error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : String(error),
    },
    `plugin ${instance.name} failed in the ${phase} phase`,
  );
}

function upstreamErrorSpec(error: GatehouseError): ProxyErrorSpec {
  if (error.code === UPSTREAM_TIMEOUT) return ProxyErrors.upstreamTimeout;
  if (error.code === UPSTREAM_UNAVAILABLE) return ProxyErrors.upstreamUnavailable;
  return ProxyErrors.upstreamInvalid;
}

async function handle(rt: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedAt = rt.latency ? performance.now() : 0;
  // One snapshot for the whole request, even if a reload swaps it meanwhile.
  const snapshot = rt.state.snapshot;
  const headers = req.headers;
  const url = req.url ?? '/';

  // Origin-form only: absolute-form and `*` targets are not for a reverse proxy.
  if (url.charCodeAt(0) !== 0x2f) return sendError(res, headers.accept, ProxyErrors.badRequest);
  const queryStart = url.indexOf('?');
  const rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
  const path = normalizePath(rawPath);

  const socket = req.socket;
  const peer = plainIp(socket.remoteAddress);
  const trusted = rt.trusted !== null && rt.trusted.check(peer);
  const socketScheme = (socket as TLSSocket).encrypted === true ? 'https' : 'http';
  let forwardedProto: string = socketScheme;
  let scheme: 'http' | 'https' = socketScheme;
  let clientIp = peer;
  if (trusted) {
    const proto = headers['x-forwarded-proto'];
    if (typeof proto === 'string' && proto !== '') {
      forwardedProto = proto;
      scheme = proto.toLowerCase() === 'https' ? 'https' : 'http';
    }
    const realIp = headers['x-real-ip'];
    if (typeof realIp === 'string' && realIp !== '') clientIp = realIp;
  }

  const hostHeader = headers.host;
  const hostname = hostnameOf(hostHeader);
  const match = snapshot.router.match(req.method!, path, hostname, portOf(hostHeader, scheme === 'https' ? 443 : 80));
  if (match === null) return sendError(res, headers.accept, ProxyErrors.noRoute);

  const compiled = snapshot.routes[match.index]!;
  const route = match.route;
  if (compiled.httpsOnly && scheme !== 'https') {
    return sendError(res, headers.accept, ProxyErrors.httpsRequired, null, HTTPS_REQUIRED_HEADERS);
  }

  const chain: PluginChain = scheme === 'https' ? compiled.https : compiled.http;
  if (chain.failure !== null) {
    rt.log.error(
      { plugin: { id: chain.failure.plugin.id, name: chain.failure.plugin.name }, route: route.id, method: req.method, path: rawPath },
      `plugin ${chain.failure.plugin.name} is unavailable (it could not be created); answering 500`,
    );
    return sendError(res, headers.accept, ProxyErrors.pluginUnavailable);
  }

  let ctx: ProxyContext | null = null;
  if (chain.all.length > 0) {
    const forwardedHost = trusted && typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'] : (hostHeader ?? '');
    const request = new ProxyRequest(req, url, rawPath, queryStart, scheme, forwardedHost, clientIp);
    ctx = new ProxyContext(request, route, match.service, snapshot, rt.log);
    const access = chain.access;
    for (let i = 0; i < access.length; i++) {
      const instance = access[i]!;
      let result: PluginResponse | void;
      try {
        const returned = instance.handler.access!(ctx);
        result = isThenable<PluginResponse | void>(returned) ? await returned : returned;
      } catch (error) {
        logPluginError(rt, 'access', instance, route, req, rawPath, error);
        return sendError(res, headers.accept, ProxyErrors.pluginFailed, ctx.responseHeaderAdditions());
      }
      if (result) {
        try {
          sendPluginResponse(res, result, ctx.responseHeaderAdditions());
        } catch (error) {
          logPluginError(rt, 'access (invalid response)', instance, route, req, rawPath, error);
          sendError(res, headers.accept, ProxyErrors.pluginFailed);
        }
        return;
      }
    }
  }

  const upstream = compiled.upstream;
  const service = match.service;
  if (upstream === null || service === null) {
    const error = compiled.upstreamError !== null ? ProxyErrors.upstreamUnavailable : ProxyErrors.noService;
    return sendError(res, headers.accept, error, ctx?.responseHeaderAdditions() ?? null);
  }

  // Kong's X-Forwarded-* rules: believe a trusted peer's values, else state our own.
  const forwardedFor = headers['x-forwarded-for'];
  const strippedPrefix = route.strip_path && match.matchedPath !== null && match.matchedPath !== '/' ? match.matchedPath : null;
  const signal = new ExchangeSignal();
  let upstreamPath: string;
  let upstreamHeaders: string[];
  try {
    upstreamPath = escapePath(joinUpstreamPath(service.path, route.strip_path, match.matchedPath, path));
    if (queryStart !== -1) {
      const removals = ctx?.upstreamQueryRemovals() ?? null;
      if (removals === null) upstreamPath += url.slice(queryStart);
      else {
        const query = withoutQueryArguments(url.slice(queryStart + 1), removals);
        if (query !== '') upstreamPath += `?${query}`;
      }
    }
    let overrides = ctx?.upstreamHeaderChanges() ?? null;
    const reserved = snapshot.reservedCookies;
    if (reserved.size > 0) {
      const cookie = overrides?.has('cookie') ? overrides.get('cookie') : headers.cookie;
      if (typeof cookie === 'string') {
        const filtered = withoutCookies(cookie, reserved);
        // The plugins' map belongs to this request: add to it rather than copy it.
        if (filtered !== cookie) (overrides ??= new Map()).set('cookie', filtered);
      }
    }
    upstreamHeaders = upstreamRequestHeaders(req, {
      host: route.preserve_host && hostHeader !== undefined ? hostHeader : null,
      xForwardedFor: forwardedFor === undefined ? clientIp : `${forwardedFor}, ${peer}`,
      xForwardedProto: forwardedProto,
      xForwardedHost: (trusted && (headers['x-forwarded-host'] as string | undefined)) || hostname,
      xForwardedPort: (trusted && (headers['x-forwarded-port'] as string | undefined)) || String(socket.localPort ?? ''),
      xForwardedPath: (trusted && (headers['x-forwarded-path'] as string | undefined)) || rawPath,
      xForwardedPrefix: (trusted && (headers['x-forwarded-prefix'] as string | undefined)) || strippedPrefix,
      xRealIp: clientIp,
      via: rt.via ? (typeof headers.via === 'string' ? `${headers.via}, ${VIA}` : VIA) : null,
      removed: chain.clientHeadersRemoved,
      underscores: rt.underscores,
      overrides,
    });
  } catch (error) {
    rt.log.error({ route: route.id, err: error instanceof Error ? error.message : String(error) }, 'could not build the upstream request');
    return sendError(res, headers.accept, ProxyErrors.internal, ctx?.responseHeaderAdditions() ?? null);
  }

  (res as TrackedResponse)[kSignal] = signal;
  res.once('close', onClientClose);
  const sentAt = rt.latency ? performance.now() : 0;
  let response: Dispatcher.ResponseData;
  try {
    response = await forward({
      upstream,
      method: req.method!,
      path: upstreamPath,
      headers: upstreamHeaders,
      body: hasBody(req) ? req : null,
      readTimeout: service.read_timeout,
      writeTimeout: service.write_timeout,
      retries: service.retries,
      signal,
    });
  } catch (error) {
    if (signal.reason === CLIENT_GONE || res.destroyed) return;
    const failure = error instanceof GatehouseError ? error : new GatehouseError('GH-PROXY-UPSTREAM-INVALID', String(error), { status: 502 });
    rt.log.warn(
      { route: route.id, service: service.id, upstream: upstream.origin, code: failure.code, cause: causeOf(failure) },
      'upstream request failed',
    );
    return sendError(res, headers.accept, upstreamErrorSpec(failure), ctx?.responseHeaderAdditions() ?? null);
  }

  const responseHeaders = response.headers as Record<string, string | string[] | undefined>;
  stripResponseHopByHop(responseHeaders);
  const upstreamCookies = responseHeaders['set-cookie'];
  if (upstreamCookies !== undefined && snapshot.reservedCookies.size > 0) {
    // An upstream must not plant or overwrite a gateway session.
    const kept = (Array.isArray(upstreamCookies) ? upstreamCookies : [upstreamCookies]).filter(
      (line) => !setsCookie(line, snapshot.reservedCookies),
    );
    if (kept.length === 0) delete responseHeaders['set-cookie'];
    else responseHeaders['set-cookie'] = kept;
  }

  if (ctx !== null && chain.response.length > 0) {
    const info: UpstreamResponseInfo = { status: response.statusCode, headers: responseHeaders as Record<string, string | string[]> };
    const handlers = chain.response;
    for (let i = 0; i < handlers.length; i++) {
      const instance = handlers[i]!;
      try {
        const returned = instance.handler.response!(ctx, info);
        if (isThenable(returned)) await returned;
      } catch (error) {
        discard(response.body);
        logPluginError(rt, 'response', instance, route, req, rawPath, error);
        return sendError(res, headers.accept, ProxyErrors.pluginFailed, ctx.responseHeaderAdditions());
      }
    }
    response.statusCode = info.status;
  }

  if (ctx !== null) mergeHeaders(responseHeaders, ctx.responseHeaderAdditions());
  if (rt.latency) {
    const now = performance.now();
    responseHeaders['x-gatehouse-upstream-latency'] = String(Math.round(now - sentAt));
    responseHeaders['x-gatehouse-proxy-latency'] = String(Math.round(sentAt - startedAt));
  }
  if (rt.via) {
    const existing = responseHeaders.via;
    responseHeaders.via = typeof existing === 'string' ? `${existing}, ${VIA}` : VIA;
  }

  if (res.destroyed) {
    discard(response.body);
    return;
  }
  try {
    res.writeHead(response.statusCode, responseHeaders);
  } catch (error) {
    // An upstream (or plugin) header Node refuses to send.
    discard(response.body);
    rt.log.error({ route: route.id, err: error instanceof Error ? error.message : String(error) }, 'invalid upstream response headers');
    return sendError(res, headers.accept, ProxyErrors.upstreamInvalid);
  }
  // pipe() streams with backpressure. Not stream.pipeline(): in Node 20 it allocates an
  // AbortController per call and builds a DOMException when done, a measurable cost here.
  // Failures of either side are handled by onUpstreamBodyError and onClientClose.
  const body = response.body as UpstreamBody;
  body[kClient] = res;
  body.on('error', onUpstreamBodyError);
  body.pipe(res);
}

function causeOf(error: GatehouseError): string | undefined {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message;
}

function run(rt: Runtime, req: IncomingMessage, res: ServerResponse): void {
  handle(rt, req, res).catch((error: unknown) => {
    rt.log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'proxy request failed');
    sendError(res, req.headers.accept, ProxyErrors.internal);
  });
}

const runtimes = new WeakMap<FastifyInstance, Runtime>();

/** Applies the settings a running proxy takes without a restart (SIGHUP; see RELOADABLE_SETTINGS). */
export function reconfigureProxy(app: FastifyInstance, options: { allowUnderscoreHeaders: boolean }): void {
  const rt = runtimes.get(app);
  if (rt) rt.underscores = options.allowUnderscoreHeaders;
}

/**
 * Creates the proxy listener (not listening: the CLI calls `listen`). Fastify's logger
 * is off on this path; errors go to `log`.
 */
export function createProxyServer(options: ProxyServerOptions): FastifyInstance {
  const rt: Runtime = {
    state: options.state,
    log: options.log,
    trusted: TrustedProxies.from(options.trustedIps),
    via: options.via ?? false,
    latency: options.latencyHeaders ?? true,
    underscores: options.allowUnderscoreHeaders ?? false,
  };

  const app = Fastify({
    logger: false,
    // Fastify rejects some targets (malformed percent-encoding) before routing; a proxy forwards them.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') {
        reply.hijack();
        run(rt, request.raw, reply.raw);
        return;
      }
      reply.hijack();
      sendError(reply.raw, request.headers.accept, ProxyErrors.badRequest);
    },
  });

  runtimes.set(app, rt);
  app.addHook('onRequest', (request, reply, done) => {
    // Requests a route of this instance handles go on to it; everything else is proxied.
    if (!request.is404) {
      done();
      return;
    }
    reply.hijack();
    run(rt, request.raw, reply.raw);
  });

  return app;
}
