import { ORGANIZATION_SESSION_COOKIE, SIGN_IN_COOKIE } from '../identity/organization-session.js';
import type { ConsumerEntity, GatewayConfiguration, PluginEntity, RouteEntity, ServiceEntity } from '../model/gateway.js';
import type { PluginDefinition, PluginHandler } from './plugin.js';
import { createHandler, type HandlerRecord, type PluginServices } from './plugin-handlers.js';
import { pluginRegistry } from './plugins/index.js';
import { UpstreamPools, type Upstream } from './proxy.js';
import { compileRouter, type Router } from './router.js';

/** The console's CSRF cookie (src/console/csrf.ts): the host's cookies reach every app behind the gateway. */
const CONSOLE_CSRF_COOKIE = 'gatehouse_console_csrf';

/**
 * The immutable, in-memory view of the configuration the data plane serves from:
 * the compiled router, per route the plugin handlers that apply (in run order) and the
 * upstream pool, and consumers indexed for `findConsumer`. A reload builds a new
 * snapshot and swaps it in (gateway-state.ts); requests in flight finish on the one they
 * started with.
 */

export interface PluginInstance {
  readonly plugin: PluginEntity;
  readonly name: string;
  readonly priority: number;
  readonly handler: PluginHandler;
}

export interface PluginFailure {
  readonly plugin: PluginEntity;
  readonly error: unknown;
}

export interface PluginChain {
  /** Every plugin that applies, highest priority first. */
  readonly all: readonly PluginInstance[];
  /** Those with an `access` handler, in run order. */
  readonly access: readonly PluginInstance[];
  /** Those with a `response` handler, in run order. */
  readonly response: readonly PluginInstance[];
  /**
   * A plugin that applies here but could not be created. The route answers 500 rather
   * than run without it: skipping an authentication plugin would expose the upstream.
   */
  readonly failure: PluginFailure | null;
  /**
   * Client request headers never forwarded on this route: the identity headers of
   * every plugin, when an authentication plugin applies (see `identityHeaders` in
   * plugin.ts); `null` when none does.
   */
  readonly clientHeadersRemoved: ReadonlySet<string> | null;
}

export interface CompiledRoute {
  readonly route: RouteEntity;
  readonly service: ServiceEntity | null;
  /** `null` when the route has no (existing) service: 503 unless a plugin answers. */
  readonly upstream: Upstream | null;
  /** Why the service's upstream could not be set up (an unusable host), answered with 502. */
  readonly upstreamError: string | null;
  /** Only https is allowed: plain http gets 426, as in Kong. */
  readonly httpsOnly: boolean;
  /** Plugins by the scheme of the request, since plugins can be limited by `protocols`. */
  readonly http: PluginChain;
  readonly https: PluginChain;
}

export interface SnapshotOptions extends PluginServices {
  /** Plugin definitions by name; `pluginRegistry` unless a test brings its own. */
  registry?: ReadonlyMap<string, PluginDefinition>;
  upstreams: UpstreamPools;
}

const EMPTY_CHAIN: PluginChain = Object.freeze({ all: [], access: [], response: [], failure: null, clientHeadersRemoved: null });

export class GatewaySnapshot {
  readonly router: Router;
  /** Indexed like the router's `RouteMatch.index`. */
  readonly routes: readonly CompiledRoute[];
  readonly config: GatewayConfiguration;
  /** @internal plugin id → handler, for reuse by the next snapshot and for closing */
  readonly handlers: ReadonlyMap<string, HandlerRecord>;
  /** Cookies that plugins own: removed from every forwarded request, refused from upstream Set-Cookie. */
  readonly reservedCookies: ReadonlySet<string>;
  readonly #consumersById: ReadonlyMap<string, ConsumerEntity>;
  readonly #consumersByUsername: ReadonlyMap<string, ConsumerEntity>;
  readonly #consumersByCustomId: ReadonlyMap<string, ConsumerEntity>;

  /** @internal use `buildSnapshot` */
  constructor(fields: {
    router: Router;
    routes: CompiledRoute[];
    config: GatewayConfiguration;
    handlers: Map<string, HandlerRecord>;
    reservedCookies?: ReadonlySet<string>;
  }) {
    this.router = fields.router;
    this.reservedCookies = fields.reservedCookies ?? new Set();
    this.routes = fields.routes;
    this.config = fields.config;
    this.handlers = fields.handlers;
    const byId = new Map<string, ConsumerEntity>();
    const byUsername = new Map<string, ConsumerEntity>();
    const byCustomId = new Map<string, ConsumerEntity>();
    for (const consumer of fields.config.consumers) {
      byId.set(consumer.id, consumer);
      if (consumer.username !== null) byUsername.set(consumer.username, consumer);
      if (consumer.custom_id !== null) byCustomId.set(consumer.custom_id, consumer);
    }
    this.#consumersById = byId;
    this.#consumersByUsername = byUsername;
    this.#consumersByCustomId = byCustomId;
  }

  findConsumer(by: 'id' | 'username' | 'custom_id', value: string): ConsumerEntity | undefined {
    if (by === 'id') return this.#consumersById.get(value);
    if (by === 'username') return this.#consumersByUsername.get(value);
    return this.#consumersByCustomId.get(value);
  }

  /** The upstreams this snapshot sends to. */
  upstreams(): Upstream[] {
    const seen = new Set<Upstream>();
    for (const route of this.routes) if (route.upstream) seen.add(route.upstream);
    return [...seen];
  }
}

function appliesTo(plugin: PluginEntity, scheme: 'http' | 'https'): boolean {
  return plugin.protocols.length === 0 || plugin.protocols.includes(scheme);
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Builds a snapshot. Plugin handlers are created with their definition's `create`,
 * passing the previous snapshot's handler for the same plugin id and an identical
 * configuration as `previous` so caches survive. `build` never throws for a bad
 * plugin: its routes answer 500 and the rest of the gateway keeps working.
 */
export function buildSnapshot(
  config: GatewayConfiguration,
  options: SnapshotOptions,
  previous?: GatewaySnapshot,
): GatewaySnapshot {
  const registry = options.registry ?? pluginRegistry;
  const log = options.log;

  const services = new Map<string, ServiceEntity>();
  for (const service of config.services) services.set(service.id, service);

  // Kong: routes of a disabled service behave as if they did not exist.
  const routes = config.routes.filter((route) => {
    const service = route.service ? services.get(route.service.id) : undefined;
    return service === undefined || service.enabled !== false;
  });
  const router = compileRouter(routes, services, (route, path, error) => {
    log.error(
      { route: route.id, path, err: error instanceof Error ? error.message : String(error) },
      'route path is not a valid regular expression; it never matches',
    );
  });

  // Plugins by scope. Consumer-scoped plugins need the consumer, known only after
  // authentication; Kong re-resolves plugins then. Not supported yet: they are skipped.
  const globals: PluginEntity[] = [];
  const byService = new Map<string, PluginEntity[]>();
  const byRoute = new Map<string, PluginEntity[]>();
  const byRouteAndService = new Map<string, PluginEntity[]>();
  let consumerScoped = 0;
  for (const plugin of config.plugins) {
    if (!plugin.enabled) continue;
    if (plugin.consumer) {
      consumerScoped++;
      continue;
    }
    if (plugin.route && plugin.service) pushTo(byRouteAndService, plugin.route.id, plugin);
    else if (plugin.route) pushTo(byRoute, plugin.route.id, plugin);
    else if (plugin.service) pushTo(byService, plugin.service.id, plugin);
    else globals.push(plugin);
  }
  if (consumerScoped > 0) {
    log.warn({ count: consumerScoped }, 'consumer-scoped plugins are not applied by the gateway yet; they were skipped');
  }

  // Every route protects every plugin's cookies: a session cookie has Path=/ and would
  // otherwise reach upstreams of routes that never authenticate.
  // Gatehouse's own sign-in cookies are reserved whether or not a plugin uses them.
  const reservedCookies = new Set<string>([ORGANIZATION_SESSION_COOKIE, SIGN_IN_COOKIE, CONSOLE_CSRF_COOKIE]);
  for (const plugin of config.plugins) {
    if (!plugin.enabled) continue;
    for (const name of registry.get(plugin.name)?.cookieNames?.(plugin.config) ?? []) reservedCookies.add(name);
  }

  // Identity headers any plugin may set — whatever its configuration, and those its
  // configuration adds on any route — removed from clients' requests on every route that
  // authenticates: one upstream may sit behind several routes, and trusts a header its
  // other route's plugin sets. `Authorization` stays, unless this route's own plugin sends
  // the access token in it: elsewhere it is the client's credential, for the upstream to check.
  const identityHeaders = new Set<string>();
  for (const definition of registry.values()) for (const name of definition.identityHeaders?.always ?? []) identityHeaders.add(name);
  for (const plugin of config.plugins) {
    if (!plugin.enabled) continue;
    for (const name of registry.get(plugin.name)?.identityHeaders?.configured?.(plugin.config) ?? []) {
      if (name.toLowerCase() !== 'authorization') identityHeaders.add(name.toLowerCase());
    }
  }
  const identityHeadersOf = (selected: Iterable<PluginEntity>): ReadonlySet<string> | null => {
    let removed: Set<string> | null = null;
    for (const plugin of selected) {
      const declared = registry.get(plugin.name)?.identityHeaders;
      if (!declared) continue;
      removed ??= new Set(identityHeaders);
      for (const name of declared.configured?.(plugin.config) ?? []) removed.add(name.toLowerCase());
    }
    return removed;
  };

  const handlers = new Map<string, HandlerRecord>();
  const instanceOf = (plugin: PluginEntity): HandlerRecord => {
    let record = handlers.get(plugin.id);
    if (record) return record;
    record = createHandler(plugin, registry, options, previous?.handlers.get(plugin.id));
    handlers.set(plugin.id, record);
    return record;
  };

  const chainCache = new Map<string, PluginChain>();
  const chainFor = (route: RouteEntity, scheme: 'http' | 'https'): PluginChain => {
    // Kong's precedence without consumers: route+service, then route, then service, then global.
    const selected = new Map<string, PluginEntity>();
    const serviceId = route.service?.id;
    const levels = [
      globals,
      serviceId !== undefined ? byService.get(serviceId) : undefined,
      byRoute.get(route.id),
      byRouteAndService.get(route.id)?.filter((p) => p.service!.id === serviceId),
    ];
    for (const level of levels) {
      if (!level) continue;
      // Filtering by protocol before choosing means an http-only route plugin cannot
      // hide a global plugin from https requests.
      for (const plugin of level) if (appliesTo(plugin, scheme)) selected.set(plugin.name, plugin);
    }
    if (selected.size === 0) return EMPTY_CHAIN;

    // Routes sharing the same plugins share one chain.
    const key = [...selected.values()].map((p) => p.id).sort().join(',');
    const cached = chainCache.get(key);
    if (cached) return cached;

    const all: PluginInstance[] = [];
    let failure: PluginFailure | null = null;
    for (const plugin of selected.values()) {
      const record = instanceOf(plugin);
      if (record.handler === null) {
        failure ??= { plugin, error: record.error };
        continue;
      }
      all.push({ plugin, name: plugin.name, priority: registry.get(plugin.name)!.priority, handler: record.handler });
    }
    // Kong's order: higher priority first; equal priorities by name, for a stable order.
    all.sort((a, b) => b.priority - a.priority || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const chain: PluginChain = Object.freeze({
      all,
      access: all.filter((p) => typeof p.handler.access === 'function'),
      response: all.filter((p) => typeof p.handler.response === 'function'),
      failure,
      clientHeadersRemoved: identityHeadersOf(selected.values()),
    });
    chainCache.set(key, chain);
    return chain;
  };

  const upstreamErrors = new Map<string, string>();
  const upstreamFor = (service: ServiceEntity): Upstream | null => {
    if (upstreamErrors.has(service.id)) return null;
    try {
      return options.upstreams.acquire(service);
    } catch (error) {
      // One service with an unusable address must not keep the others from loading.
      const message = error instanceof Error ? error.message : String(error);
      upstreamErrors.set(service.id, message);
      log.error({ service: service.id, host: service.host, err: message }, 'service upstream address is unusable; its routes answer 502');
      return null;
    }
  };

  const compiled: CompiledRoute[] = routes.map((route) => {
    const service = route.service ? (services.get(route.service.id) ?? null) : null;
    const protocols = route.protocols;
    const upstream = service ? upstreamFor(service) : null;
    return {
      route,
      service,
      upstream,
      upstreamError: service ? (upstreamErrors.get(service.id) ?? null) : null,
      httpsOnly: protocols.length > 0 && protocols.includes('https') && !protocols.includes('http'),
      http: chainFor(route, 'http'),
      https: chainFor(route, 'https'),
    };
  });

  for (const record of handlers.values()) {
    if (record.handler !== null) continue;
    const affected = compiled
      .filter((r) => r.http.failure?.plugin.id === record.plugin.id || r.https.failure?.plugin.id === record.plugin.id)
      .map((r) => r.route.id);
    log.error(
      {
        plugin: { id: record.plugin.id, name: record.plugin.name },
        routes: affected,
        err: record.error instanceof Error ? { message: record.error.message, stack: record.error.stack } : String(record.error),
      },
      `plugin ${record.plugin.name} could not be created; the routes it applies to answer 500 until it is fixed`,
    );
  }

  return new GatewaySnapshot({ router, routes: compiled, config, handlers, reservedCookies });
}
