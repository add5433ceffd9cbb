import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { RouteEntity, ServiceEntity } from '../model/gateway.js';
import { escapePath, joinUpstreamPath, normalizePath } from './paths.js';
import type { PluginResponse, UpstreamResponseInfo } from './plugin.js';
import { ExchangeSignal, forward, hasBody, stripResponseHopByHop, upstreamRequestHeaders, type Upstream } from './proxy.js';
import { ProxyContext, ProxyRequest } from './request-context.js';
import { setsCookie, withoutCookies, withoutQueryArguments } from './request-filters.js';
import { ProxyErrors, mergeHeaders, sendError, sendPluginResponse, type ProxyErrorSpec } from './respond.js';
import { hostnameOf, portOf, type RouteMatch } from './router.js';
import type { GatewaySnapshot, PluginChain, PluginFailure, PluginInstance } from './snapshot.js';
import { plainIp, type TrustedProxies } from './trusted-proxies.js';
import { PROXY_CLIENT_GONE, PROXY_UPSTREAM_INVALID, PROXY_UPSTREAM_TIMEOUT, PROXY_UPSTREAM_UNAVAILABLE } from './error-codes.js';

/**
 * One proxied request, in named steps: routing, the plugins' access phase, the upstream
 * request, forwarding, the plugins' response phase, relaying the response; and the
 * gateway's error answers when a step fails.
 *
 * This is the hot path. The steps are plain functions over one exchange object; nothing
 * here creates a closure per request, and the phases' loops stay in `handleExchange` so
 * that plugins answering synchronously cost no promise.
 */

/** The proxy's settings, read by every request. */
export interface ProxyRuntime {
  state: { readonly snapshot: GatewaySnapshot };
  log: Logger;
  trusted: TrustedProxies | null;
  via: boolean;
  latency: boolean;
  underscores: boolean;
}

const VIA = '1.1 gatehouse';
const HTTPS_REQUIRED_HEADERS = { connection: 'Upgrade', upgrade: 'TLS/1.2, HTTP/1.1' };

/**
 * One request through the proxy: what it asks for, and where it comes from (the peer, and
 * what a trusted load balancer says about the client). It is also the signal `forward`
 * watches to abort the upstream exchange, so routing a request costs no object besides
 * the signal it always needed.
 */
class ProxyExchange extends ExchangeSignal {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** One snapshot for the whole request, even if a reload swaps it meanwhile. */
  readonly snapshot: GatewaySnapshot;
  readonly startedAt: number;
  readonly url: string;
  readonly queryStart: number;
  /** The path as sent: for plugins, logs and X-Forwarded-Path. */
  readonly rawPath: string;
  /** The path routes match. */
  readonly path: string;
  /** The Host header's name part, lower-cased: what routes match. */
  readonly hostname: string;
  readonly peer: string;
  /** A trusted load balancer sent it: its X-Forwarded-* and X-Real-IP headers are believed. */
  readonly trusted: boolean;
  readonly scheme: 'http' | 'https';
  /** X-Forwarded-Proto for the upstream: a trusted peer's value as it sent it, else ours. */
  readonly forwardedProto: string;
  readonly clientIp: string;

  constructor(rt: ProxyRuntime, req: IncomingMessage, res: ServerResponse, url: string, startedAt: number) {
    super();
    this.req = req;
    this.res = res;
    this.snapshot = rt.state.snapshot;
    this.startedAt = startedAt;
    this.url = url;
    const queryStart = url.indexOf('?');
    this.queryStart = queryStart;
    this.rawPath = queryStart === -1 ? url : url.slice(0, queryStart);
    this.path = normalizePath(this.rawPath);

    const headers = req.headers;
    this.hostname = hostnameOf(headers.host);
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
    this.peer = peer;
    this.trusted = trusted;
    this.scheme = scheme;
    this.forwardedProto = forwardedProto;
    this.clientIp = clientIp;
  }

  /** Answers with one of the gateway's errors (see `sendError`). */
  answer(error: ProxyErrorSpec, extraHeaders: ReadonlyMap<string, string[]> | null = null, headers: Record<string, string> | null = null): void {
    sendError(this.res, this.req.headers.accept, error, extraHeaders, headers);
  }

  /** A header a trusted load balancer sent, or undefined (from anyone else, or not a single value). */
  forwarded(name: 'x-forwarded-host' | 'x-forwarded-port' | 'x-forwarded-path' | 'x-forwarded-prefix'): string | undefined {
    return (this.trusted && (this.req.headers[name] as string | undefined)) || undefined;
  }
}

/** Proxies one request; a request that is not in origin form is answered 400 before anything else. */
export async function handleExchange(rt: ProxyRuntime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedAt = rt.latency ? performance.now() : 0;
  const url = req.url ?? '/';
  // Origin-form only: absolute-form and `*` targets are not for a reverse proxy.
  if (url.charCodeAt(0) !== 0x2f) return sendError(res, req.headers.accept, ProxyErrors.badRequest);
  const x = new ProxyExchange(rt, req, res, url, startedAt);

  const match = routeOf(x);
  if (match === null) return x.answer(ProxyErrors.noRoute);
  const compiled = x.snapshot.routes[match.index]!;
  const route = match.route;
  if (compiled.httpsOnly && x.scheme !== 'https') return x.answer(ProxyErrors.httpsRequired, null, HTTPS_REQUIRED_HEADERS);
  const chain: PluginChain = x.scheme === 'https' ? compiled.https : compiled.http;
  if (chain.failure !== null) return answerPluginUnavailable(rt, x, chain.failure, route);

  // Access phase.
  let ctx: ProxyContext | null = null;
  if (chain.all.length > 0) {
    ctx = pluginContext(rt, x, match);
    const access = chain.access;
    for (let i = 0; i < access.length; i++) {
      const instance = access[i]!;
      let result: PluginResponse | void;
      try {
        const returned = instance.handler.access!(ctx);
        result = isThenable<PluginResponse | void>(returned) ? await returned : returned;
      } catch (error) {
        logPluginError(rt, 'access', instance, route, x, error);
        return x.answer(ProxyErrors.pluginFailed, ctx.responseHeaderAdditions());
      }
      if (result) return answerForPlugin(rt, x, ctx, instance, route, result);
    }
  }

  const upstream = compiled.upstream;
  const service = match.service;
  if (upstream === null || service === null) {
    return x.answer(compiled.upstreamError !== null ? ProxyErrors.upstreamUnavailable : ProxyErrors.noService, ctx?.responseHeaderAdditions() ?? null);
  }

  let upstreamPath: string;
  let upstreamHeaders: string[];
  try {
    upstreamPath = upstreamPathOf(x, service, match, ctx);
    upstreamHeaders = upstreamHeadersOf(rt, x, match, chain, ctx);
  } catch (error) {
    rt.log.error({ route: route.id, err: error instanceof Error ? error.message : String(error) }, 'could not build the upstream request');
    return x.answer(ProxyErrors.internal, ctx?.responseHeaderAdditions() ?? null);
  }

  // Forwarding.
  (res as TrackedResponse)[kSignal] = x;
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
      signal: x,
    });
  } catch (error) {
    return answerUpstreamFailure(rt, x, error, route, service, upstream, ctx);
  }

  // Response phase.
  const responseHeaders = upstreamResponseHeaders(x, response);
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
        logPluginError(rt, 'response', instance, route, x, error);
        return x.answer(ProxyErrors.pluginFailed, ctx.responseHeaderAdditions());
      }
    }
    response.statusCode = info.status;
  }
  addGatewayHeaders(rt, x, ctx, responseHeaders, sentAt);
  relay(rt, x, response, responseHeaders, route);
}

// ---------------------------------------------------------------------------------------
// Routing

function routeOf(x: ProxyExchange): RouteMatch | null {
  return x.snapshot.router.match(x.req.method!, x.path, x.hostname, portOf(x.req.headers.host, x.scheme === 'https' ? 443 : 80));
}

/** The plugins' view of the request; only routes with plugins make one. */
function pluginContext(rt: ProxyRuntime, x: ProxyExchange, match: RouteMatch): ProxyContext {
  const headers = x.req.headers;
  const forwardedHost = x.trusted && typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'] : (headers.host ?? '');
  const request = new ProxyRequest(x.req, x.url, x.rawPath, x.queryStart, x.scheme, forwardedHost, x.clientIp);
  return new ProxyContext(request, match.route, match.service, x.snapshot, rt.log);
}

// ---------------------------------------------------------------------------------------
// The upstream request

function upstreamPathOf(x: ProxyExchange, service: ServiceEntity, match: RouteMatch, ctx: ProxyContext | null): string {
  const path = escapePath(joinUpstreamPath(service.path, match.route.strip_path, match.matchedPath, x.path));
  if (x.queryStart === -1) return path;
  const removals = ctx?.upstreamQueryRemovals() ?? null;
  if (removals === null) return path + x.url.slice(x.queryStart);
  const query = withoutQueryArguments(x.url.slice(x.queryStart + 1), removals);
  return query === '' ? path : `${path}?${query}`;
}

/** The client's headers as the upstream gets them: filtered, with the plugins' changes and Kong's X-Forwarded-* rules. */
function upstreamHeadersOf(rt: ProxyRuntime, x: ProxyExchange, match: RouteMatch, chain: PluginChain, ctx: ProxyContext | null): string[] {
  const headers = x.req.headers;
  const route = match.route;
  let overrides = ctx?.upstreamHeaderChanges() ?? null;
  const reserved = x.snapshot.reservedCookies;
  if (reserved.size > 0) {
    const cookie = overrides?.has('cookie') ? overrides.get('cookie') : headers.cookie;
    if (typeof cookie === 'string') {
      const filtered = withoutCookies(cookie, reserved);
      // The plugins' map belongs to this request: add to it rather than copy it.
      if (filtered !== cookie) (overrides ??= new Map()).set('cookie', filtered);
    }
  }
  // Kong's X-Forwarded-* rules: believe a trusted peer's values, else state our own.
  const forwardedFor = headers['x-forwarded-for'];
  const strippedPrefix = route.strip_path && match.matchedPath !== null && match.matchedPath !== '/' ? match.matchedPath : null;
  return upstreamRequestHeaders(x.req, {
    host: route.preserve_host && headers.host !== undefined ? headers.host : null,
    xForwardedFor: forwardedFor === undefined ? x.clientIp : `${forwardedFor}, ${x.peer}`,
    xForwardedProto: x.forwardedProto,
    xForwardedHost: x.forwarded('x-forwarded-host') || x.hostname,
    xForwardedPort: x.forwarded('x-forwarded-port') || String(x.req.socket.localPort ?? ''),
    xForwardedPath: x.forwarded('x-forwarded-path') || x.rawPath,
    xForwardedPrefix: x.forwarded('x-forwarded-prefix') || strippedPrefix,
    xRealIp: x.clientIp,
    via: rt.via ? (typeof headers.via === 'string' ? `${headers.via}, ${VIA}` : VIA) : null,
    removed: chain.clientHeadersRemoved,
    underscores: rt.underscores,
    overrides,
  });
}

// ---------------------------------------------------------------------------------------
// The response

/** The upstream's headers without hop-by-hop ones, and without cookies that would plant or overwrite a gateway session. */
function upstreamResponseHeaders(x: ProxyExchange, response: Dispatcher.ResponseData): Record<string, string | string[] | undefined> {
  const headers = response.headers as Record<string, string | string[] | undefined>;
  stripResponseHopByHop(headers);
  const cookies = headers['set-cookie'];
  const reserved = x.snapshot.reservedCookies;
  if (cookies !== undefined && reserved.size > 0) {
    const kept = (Array.isArray(cookies) ? cookies : [cookies]).filter((line) => !setsCookie(line, reserved));
    if (kept.length === 0) delete headers['set-cookie'];
    else headers['set-cookie'] = kept;
  }
  return headers;
}

/** The plugins' response headers, the latency headers and Via. */
function addGatewayHeaders(rt: ProxyRuntime, x: ProxyExchange, ctx: ProxyContext | null, headers: Record<string, string | string[] | undefined>, sentAt: number): void {
  if (ctx !== null) mergeHeaders(headers, ctx.responseHeaderAdditions());
  if (rt.latency) {
    const now = performance.now();
    headers['x-gatehouse-upstream-latency'] = String(Math.round(now - sentAt));
    headers['x-gatehouse-proxy-latency'] = String(Math.round(sentAt - x.startedAt));
  }
  if (rt.via) {
    const existing = headers.via;
    headers.via = typeof existing === 'string' ? `${existing}, ${VIA}` : VIA;
  }
}

function relay(rt: ProxyRuntime, x: ProxyExchange, response: Dispatcher.ResponseData, headers: Record<string, string | string[] | undefined>, route: RouteEntity): void {
  const res = x.res;
  if (res.destroyed) {
    discard(response.body);
    return;
  }
  try {
    res.writeHead(response.statusCode, headers);
  } catch (error) {
    // An upstream (or plugin) header Node refuses to send.
    discard(response.body);
    rt.log.error({ route: route.id, err: error instanceof Error ? error.message : String(error) }, 'invalid upstream response headers');
    return x.answer(ProxyErrors.upstreamInvalid);
  }
  // pipe() streams with backpressure. Not stream.pipeline(): in Node 20 it allocates an
  // AbortController per call and builds a DOMException when done, a measurable cost here.
  // Failures of either side are handled by onUpstreamBodyError and onClientClose.
  const body = response.body as UpstreamBody;
  body[kClient] = res;
  body.on('error', onUpstreamBodyError);
  body.pipe(res);
}

// ---------------------------------------------------------------------------------------
// Error answers

function answerPluginUnavailable(rt: ProxyRuntime, x: ProxyExchange, failure: PluginFailure, route: RouteEntity): void {
  rt.log.error(
    { plugin: { id: failure.plugin.id, name: failure.plugin.name }, route: route.id, method: x.req.method, path: x.rawPath },
    `plugin ${failure.plugin.name} is unavailable (it could not be created); answering 500`,
  );
  x.answer(ProxyErrors.pluginUnavailable);
}

/** Sends the response a plugin's access handler returned instead of proxying. */
function answerForPlugin(rt: ProxyRuntime, x: ProxyExchange, ctx: ProxyContext, instance: PluginInstance, route: RouteEntity, result: PluginResponse): void {
  try {
    sendPluginResponse(x.res, result, ctx.responseHeaderAdditions());
  } catch (error) {
    logPluginError(rt, 'access (invalid response)', instance, route, x, error);
    x.answer(ProxyErrors.pluginFailed);
  }
}

function answerUpstreamFailure(
  rt: ProxyRuntime,
  x: ProxyExchange,
  error: unknown,
  route: RouteEntity,
  service: ServiceEntity,
  upstream: Upstream,
  ctx: ProxyContext | null,
): void {
  if (x.reason === PROXY_CLIENT_GONE || x.res.destroyed) return;
  const failure = error instanceof GatehouseError ? error : new GatehouseError(PROXY_UPSTREAM_INVALID, String(error), { status: 502 });
  rt.log.warn({ route: route.id, service: service.id, upstream: upstream.origin, code: failure.code, cause: causeOf(failure) }, 'upstream request failed');
  x.answer(upstreamErrorSpec(failure), ctx?.responseHeaderAdditions() ?? null);
}

function upstreamErrorSpec(error: GatehouseError): ProxyErrorSpec {
  if (error.code === PROXY_UPSTREAM_TIMEOUT) return ProxyErrors.upstreamTimeout;
  if (error.code === PROXY_UPSTREAM_UNAVAILABLE) return ProxyErrors.upstreamUnavailable;
  return ProxyErrors.upstreamInvalid;
}

function causeOf(error: GatehouseError): string | undefined {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message;
}

function logPluginError(rt: ProxyRuntime, phase: string, instance: PluginInstance, route: RouteEntity, x: ProxyExchange, error: unknown): void {
  // Never the headers or the query: they carry tokens and cookies.
  rt.log.error(
    {
      plugin: { id: instance.plugin.id, name: instance.name },
      route: route.id,
      method: x.req.method,
      path: x.rawPath,
      err: error instanceof Error ? { type: error.name, message: error.message, stack: error.stack } : String(error),
    },
    `plugin ${instance.name} failed in the ${phase} phase`,
  );
}

// ---------------------------------------------------------------------------------------
// Listeners shared by every exchange: their state is on the objects they listen to.

const kSignal = Symbol('gatehouse.signal');
const kClient = Symbol('gatehouse.client');
type TrackedResponse = ServerResponse & { [kSignal]?: ExchangeSignal };
type UpstreamBody = Dispatcher.ResponseData['body'] & { [kClient]?: ServerResponse };

function isThenable<T>(value: unknown): value is PromiseLike<T> {
  return value !== null && typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function';
}

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
  if (!this.writableFinished) this[kSignal]?.abort(PROXY_CLIENT_GONE);
}

function onUpstreamBodyError(this: UpstreamBody): void {
  // The upstream broke mid-body (reset, read_timeout). The status is already sent: cut
  // the client connection so the truncated response does not look complete.
  this[kClient]?.destroy();
}
