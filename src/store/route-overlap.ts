/**
 * Whether two routes could take the same request: the rule that keeps one owner's
 * routes from capturing another owner's traffic. The router prefers the route with more
 * matching attributes, hosts without wildcards, regex paths and longer prefixes
 * (src/gateway/router.ts), so any overlap lets one route take requests meant for the
 * other: `/demo` on host `localhost` beats `/demo` on any host; `/demo/callback` takes the
 * other's OAuth redirect URI. Kong Enterprise refuses such routes across workspaces
 * ("API route collides with an existing API"); so does Gatehouse across organizations.
 *
 * The answer is conservative: `true` whenever overlap cannot be ruled out from the
 * methods, hosts and paths alone. A regex path counts as the literal prefix it starts
 * with (`~/demo/.*` as `/demo/`, `~.*` as everything), or as exactly that literal when
 * nothing but the end anchor follows it (`~/$` is only `/`).
 */

export interface RouteMatchSpace {
  methods: readonly string[] | null;
  hosts: readonly string[] | null;
  paths: readonly string[] | null;
}

export function routesMayOverlap(a: RouteMatchSpace, b: RouteMatchSpace): boolean {
  return listsMeet(a.methods, b.methods, (x, y) => x.toUpperCase() === y.toUpperCase()) && listsMeet(a.hosts, b.hosts, hostsMeet) && listsMeet(a.paths, b.paths, pathsMeet);
}

/** An absent or empty list matches anything; otherwise some pair must meet. */
function listsMeet(a: readonly string[] | null, b: readonly string[] | null, meet: (x: string, y: string) => boolean): boolean {
  if (!a || a.length === 0 || !b || b.length === 0) return true;
  return a.some((x) => b.some((y) => meet(x, y)));
}

interface HostPattern {
  kind: 'exact' | 'suffix' | 'prefix';
  /** `example.com`; `.example.com` for `*.example.com`; `example.` for `example.*`. */
  value: string;
  /** 0 without a port. */
  port: number;
}

function hostPattern(host: string): HostPattern {
  const lower = host.toLowerCase();
  const parts = lower.startsWith('[') ? /^(\[[^\]]*\])(?::(\d+))?$/.exec(lower) : /^([^:]*)(?::(\d+))?$/.exec(lower);
  const name = parts?.[1] ?? lower;
  const port = parts?.[2] === undefined ? 0 : Number(parts[2]);
  if (name.startsWith('*.')) return { kind: 'suffix', value: name.slice(1), port };
  if (name.endsWith('.*')) return { kind: 'prefix', value: name.slice(0, -1), port };
  return { kind: 'exact', value: name, port };
}

function hostsMeet(x: string, y: string): boolean {
  const a = hostPattern(x);
  const b = hostPattern(y);
  if (a.port !== 0 && b.port !== 0 && a.port !== b.port) return false;
  if (a.kind === 'exact' && b.kind === 'exact') return a.value === b.value;
  if (a.kind === 'exact') return matchesPattern(a.value, b);
  if (b.kind === 'exact') return matchesPattern(b.value, a);
  if (a.kind === b.kind) return a.kind === 'suffix' ? a.value.endsWith(b.value) || b.value.endsWith(a.value) : a.value.startsWith(b.value) || b.value.startsWith(a.value);
  // `example.*` and `*.com` both take `example.com`.
  return true;
}

function matchesPattern(host: string, pattern: HostPattern): boolean {
  return pattern.kind === 'suffix' ? host.endsWith(pattern.value) : host.startsWith(pattern.value);
}

const REGEX_SYNTAX = new Set(['.', '^', '$', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '\\']);

/**
 * What a route path matches, as far as the literal text it starts with tells: every
 * request path starting with `value` (`prefix`), or exactly `value` (a regex that is a
 * literal anchored at its end, such as `~/$`).
 */
interface PathSpace {
  value: string;
  exact: boolean;
}

function pathSpace(path: string): PathSpace {
  if (!path.startsWith('~')) return { value: decoded(path), exact: false };
  const source = path.slice(1);
  if (hasTopLevelAlternation(source)) return { value: '', exact: false };
  let end = 0;
  while (end < source.length && !REGEX_SYNTAX.has(source[end]!)) end++;
  const literal = source.slice(0, end);
  if (!literal.startsWith('/')) return { value: '', exact: false };
  if (end === source.length - 1 && source[end] === '$') return { value: decoded(literal), exact: true };
  // A quantifier after the literal can make its last character optional (`/demox?`).
  const next = source[end];
  const value = next !== undefined && '?*{'.includes(next) ? literal.slice(0, -1) : literal;
  return { value: decoded(value), exact: false };
}

/** `/a|/b` matches paths that do not start with `/a`: no literal prefix holds for it. */
function hasTopLevelAlternation(source: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === '(') depth++;
    else if (char === ')') depth--;
    else if (char === '|' && depth === 0) return true;
  }
  return false;
}

function decoded(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function pathsMeet(x: string, y: string): boolean {
  const a = pathSpace(x);
  const b = pathSpace(y);
  if (a.exact && b.exact) return a.value === b.value;
  if (a.exact) return a.value.startsWith(b.value);
  if (b.exact) return b.value.startsWith(a.value);
  return a.value.startsWith(b.value) || b.value.startsWith(a.value);
}
