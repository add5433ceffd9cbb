import type { RouteEntity, ServiceEntity } from '../model/gateway.js';
import { toByteString } from './paths.js';

/**
 * Route matching compiled once per configuration snapshot, with Kong's
 * `traditional_compatible` semantics (kong/router/compat.lua + transform.lua, the
 * default router flavour since Kong 3.0):
 *
 * - A route with paths of different kinds or lengths is split into one entry per group
 *   (all regex paths together; prefix paths grouped by length), each entry with its own
 *   priority, so `/a` and `/abc` on one route rank like two routes would.
 * - Entries are sorted once by Kong's 64-bit priority, most significant first:
 *   number of matching attributes (methods, hosts, paths), hosts without wildcards,
 *   regex paths before prefix paths, `regex_priority` (regex entries only), prefix length.
 *   Ties go to the higher route id, as the ATC router orders `(priority, uuid)` keys.
 * - The first matching entry wins. Prefix paths match as plain string prefixes; regex
 *   paths (`~...`) are anchored at the start of the path.
 * - Hosts: exact, `*.example.com` (suffix) or `example.*` (prefix), optionally with a
 *   port (`example.com:8000`) that must equal the port the client addressed.
 *
 * `protocols` is not a matching attribute in Kong either: the server answers 426 when a
 * request over http matches an https-only route. Route `headers` and `snis` do not
 * exist in Gatehouse's entity and are not matched.
 */

export interface RouteMatch {
  /** Position of the route in the array given to `compileRouter`, for per-route lookups without a Map. */
  index: number;
  route: RouteEntity;
  service: ServiceEntity | null;
  /**
   * What the route's path matched: the prefix itself, or the whole regex match. This is
   * what `strip_path` removes and what `X-Forwarded-Prefix` carries. `null` for routes
   * without paths.
   */
  matchedPath: string | null;
  /** Capture groups of a regex path (Kong's `uri_captures`), `null` for prefix paths. */
  captures: RegExpExecArray | null;
}

const enum HostKind {
  Exact,
  /** `*.example.com`: the host ends with `.example.com`. */
  Suffix,
  /** `example.*`: the host starts with `example.`. */
  Prefix,
}

interface HostRule {
  kind: HostKind;
  value: string;
  /** 0 when the rule has no port. */
  port: number;
}

interface Entry {
  index: number;
  route: RouteEntity;
  service: ServiceEntity | null;
  methods: readonly string[] | null;
  hosts: readonly HostRule[] | null;
  prefixes: readonly string[] | null;
  regexes: readonly RegExp[] | null;
  // Priority components, most significant first.
  weight: number;
  plainHostsOnly: boolean;
  regexUrl: boolean;
  regexPriority: number;
  maxLength: number;
}

/** Called for each path that cannot be compiled; the path is left out (never matches). */
export type RouterErrorHandler = (route: RouteEntity, path: string, error: unknown) => void;

export class Router {
  readonly #entries: readonly Entry[];

  /** @internal use `compileRouter` */
  constructor(entries: readonly Entry[]) {
    this.#entries = entries;
  }

  /** Number of compiled entries (routes split by path kind and length). */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Finds the route for a request. Allocation-free except for the result object and,
   * for regex paths, the match array.
   *
   * @param method   request method, as sent (methods are upper-case in routes)
   * @param path     normalized request path (`normalizePath`), without query
   * @param hostname lower-case host from the Host header, without port
   * @param port     the port the client addressed (Host header port, else the scheme's default)
   */
  match(method: string, path: string, hostname: string, port: number): RouteMatch | null {
    const entries = this.#entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.methods !== null && !entry.methods.includes(method)) continue;
      if (entry.hosts !== null && !matchHost(entry.hosts, hostname, port)) continue;

      if (entry.prefixes !== null) {
        const prefixes = entry.prefixes;
        for (let p = 0; p < prefixes.length; p++) {
          if (path.startsWith(prefixes[p]!)) {
            return { index: entry.index, route: entry.route, service: entry.service, matchedPath: prefixes[p]!, captures: null };
          }
        }
        continue;
      }
      if (entry.regexes !== null) {
        const regexes = entry.regexes;
        for (let r = 0; r < regexes.length; r++) {
          const m = regexes[r]!.exec(path);
          if (m !== null) {
            return { index: entry.index, route: entry.route, service: entry.service, matchedPath: m[0], captures: m };
          }
        }
        continue;
      }
      return { index: entry.index, route: entry.route, service: entry.service, matchedPath: null, captures: null };
    }
    return null;
  }
}

function matchHost(rules: readonly HostRule[], hostname: string, port: number): boolean {
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.port !== 0 && rule.port !== port) continue;
    switch (rule.kind) {
      case HostKind.Exact:
        if (hostname === rule.value) return true;
        break;
      case HostKind.Suffix:
        if (hostname.endsWith(rule.value)) return true;
        break;
      case HostKind.Prefix:
        if (hostname.startsWith(rule.value)) return true;
        break;
    }
  }
  return false;
}

/** Splits `host[:port]` as Kong does, keeping IPv6 literals (`[::1]:8000`) whole. */
function parseHostRule(text: string): HostRule {
  let host = text.trim().toLowerCase();
  let port = 0;
  const colon = host.lastIndexOf(':');
  if (colon !== -1 && host.indexOf(']', colon) === -1) {
    const parsed = Number(host.slice(colon + 1));
    if (Number.isInteger(parsed) && parsed > 0 && parsed < 65536) {
      port = parsed;
      host = host.slice(0, colon);
    }
  }
  if (host.startsWith('*')) return { kind: HostKind.Suffix, value: host.slice(1), port };
  if (host.endsWith('*')) return { kind: HostKind.Prefix, value: host.slice(0, -1), port };
  return { kind: HostKind.Exact, value: host, port };
}

function isRegexPath(path: string): boolean {
  return path.charCodeAt(0) === 0x7e; // '~'
}

/**
 * Kong anchors regex paths at the start (`^` prepended). Wrapping the pattern in a group
 * keeps `~/a|/b` from leaving its second alternative unanchored.
 */
function compileRegexPath(path: string): RegExp {
  return new RegExp('^(?:' + toByteString(path.slice(1)) + ')');
}

function nonEmpty<T>(list: readonly T[] | null | undefined): list is readonly T[] {
  return list !== null && list !== undefined && list.length > 0;
}

/** Kong's priority order: higher first on each component in turn, then the higher id. */
function compareEntries(a: Entry, b: Entry): number {
  return (
    b.weight - a.weight ||
    Number(b.plainHostsOnly) - Number(a.plainHostsOnly) ||
    Number(b.regexUrl) - Number(a.regexUrl) ||
    b.regexPriority - a.regexPriority ||
    b.maxLength - a.maxLength ||
    (a.route.id < b.route.id ? 1 : a.route.id > b.route.id ? -1 : 0)
  );
}

/**
 * Compiles routes into a `Router`. Routes whose service is missing from `services`
 * keep `service: null` (the server answers 503 for them, as Kong does).
 */
export function compileRouter(
  routes: readonly RouteEntity[],
  services: ReadonlyMap<string, ServiceEntity>,
  onError?: RouterErrorHandler,
): Router {
  const entries: Entry[] = [];

  routes.forEach((route, index) => {
    const service = route.service ? (services.get(route.service.id) ?? null) : null;
    const methods = nonEmpty(route.methods) ? route.methods.map((m) => m.toUpperCase()) : null;
    const hosts = nonEmpty(route.hosts) ? route.hosts.map(parseHostRule) : null;
    const plainHostsOnly = hosts !== null && hosts.every((h) => h.kind === HostKind.Exact);
    const base = (nonEmpty(methods) ? 1 : 0) + (hosts !== null ? 1 : 0);
    const make = (fields: Pick<Entry, 'prefixes' | 'regexes' | 'regexUrl' | 'maxLength'>, hasPaths: boolean): Entry => ({
      index,
      route,
      service,
      methods,
      hosts,
      weight: base + (hasPaths ? 1 : 0),
      plainHostsOnly,
      regexPriority: fields.regexUrl ? route.regex_priority : 0,
      ...fields,
    });

    if (!nonEmpty(route.paths)) {
      entries.push(make({ prefixes: null, regexes: null, regexUrl: false, maxLength: 0 }, false));
      return;
    }

    // One entry for all regex paths, one per prefix length (Kong's split_routes_and_services_by_path).
    const regexes: RegExp[] = [];
    const prefixesByLength = new Map<number, string[]>();
    for (const path of route.paths) {
      if (isRegexPath(path)) {
        try {
          regexes.push(compileRegexPath(path));
        } catch (error) {
          onError?.(route, path, error);
        }
      } else {
        const prefix = toByteString(path);
        const group = prefixesByLength.get(prefix.length);
        if (group) group.push(prefix);
        else prefixesByLength.set(prefix.length, [prefix]);
      }
    }
    // A route whose only paths fail to compile must not turn into a match-everything route.
    if (regexes.length > 0) entries.push(make({ prefixes: null, regexes, regexUrl: true, maxLength: 0 }, true));
    for (const [length, prefixes] of prefixesByLength) {
      entries.push(make({ prefixes, regexes: null, regexUrl: false, maxLength: length }, true));
    }
  });

  entries.sort(compareEntries);
  return new Router(entries);
}

/**
 * The host part of a Host header, lower-cased, without port (nginx's `$host`).
 * Returns the header itself when it is already in that form (no allocation).
 */
export function hostnameOf(hostHeader: string | undefined): string {
  if (hostHeader === undefined || hostHeader === '') return '';
  let end = hostHeader.length;
  const colon = hostHeader.lastIndexOf(':');
  if (colon !== -1 && hostHeader.indexOf(']', colon) === -1) end = colon;
  const host = end === hostHeader.length ? hostHeader : hostHeader.slice(0, end);
  return host.toLowerCase();
}

/** The port in a Host header, or `defaultPort` when it has none. */
export function portOf(hostHeader: string | undefined, defaultPort: number): number {
  if (hostHeader === undefined) return defaultPort;
  const colon = hostHeader.lastIndexOf(':');
  if (colon === -1 || hostHeader.indexOf(']', colon) !== -1) return defaultPort;
  const port = Number(hostHeader.slice(colon + 1));
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : defaultPort;
}
