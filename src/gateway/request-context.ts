import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Logger } from '../log.js';
import type { ConsumerEntity, RouteEntity, ServiceEntity } from '../model/gateway.js';
import type { GatewayRequest, RequestContext } from './plugin.js';
import type { GatewaySnapshot } from './snapshot.js';

/**
 * What plugins see of a proxied request (src/gateway/plugin.ts): the request, and the
 * context they read and write (consumer, upstream and response headers, shared values).
 * Created only on routes that have plugins; whatever a plugin may not use is created on
 * first use, since most requests never touch it.
 */

const EMPTY_QUERY = '';

/** The request as plugins see it. A class so the query is parsed only when a plugin asks. */
export class ProxyRequest implements GatewayRequest {
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
export class ProxyContext implements RequestContext {
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
