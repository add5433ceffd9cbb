import type { IncomingHttpHeaders } from 'node:http';

/**
 * The two questions every listener (proxy, plugins, organization sign-in, Admin API,
 * console) asks about a browser, answered here and nowhere else:
 *
 * - may I send the browser to this target after sign-in or sign-out (`sameSitePath`)?
 * - did another site start this request (`requestSite`, `isCrossSite`)?
 *
 * Both follow what a browser will do, not what a pattern says: a target is parsed the
 * way the WHATWG URL parser parses a `Location` header, and a request's origin is read
 * from the Fetch Metadata, `Origin` and `Referer` headers browsers send.
 */

/** Where relative targets are resolved while they are checked; never sent anywhere. */
const PROBE_BASE = 'http://gatehouse.invalid';
const PROBE_ORIGIN = new URL(PROBE_BASE).origin;

/** Longer targets are refused: a return address has no business being larger than this. */
export const MAX_TARGET_LENGTH = 2048;

// C0 controls, space, DEL, C1 controls, and the Unicode line and paragraph separators:
// browsers drop tabs and newlines inside URLs ("/\t/evil.example" opens
// "//evil.example"), and none of these belongs in a path a person clicked.
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTER = /[\u0000-\u0020\u007f-\u009f\u2028\u2029\\]/;
// Encoded slashes, backslashes and control characters in the path: an upstream or a
// later hop that decodes them once sees `//host` or `\host`.
const UNSAFE_ENCODED_IN_PATH = /%(?:2f|5c|[01][0-9a-f]|7f)/i;

/**
 * A path on this site (`/app/page?x=1#y`) that is safe to put in a `Location` header or
 * a link, or `undefined` when the value is anything else: not a string, not starting
 * with a single `/`, holding a control character, whitespace or backslash, an encoded
 * slash or control character in the path, or anything the URL parser resolves to
 * another origin. The answer is the parser's serialization, so it is plain ASCII (a
 * full-width dot or U+2028 can never reach a header, where Node would throw).
 *
 * Callers pick their own fallback: `sameSitePath(value) ?? '/'`.
 */
export function sameSitePath(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_TARGET_LENGTH) return undefined;
  if (value.charCodeAt(0) !== 0x2f /* / */) return undefined;
  const second = value.charCodeAt(1);
  if (second === 0x2f || second === 0x5c) return undefined;
  if (UNSAFE_CHARACTER.test(value)) return undefined;
  const queryOrFragment = value.search(/[?#]/);
  const rawPath = queryOrFragment === -1 ? value : value.slice(0, queryOrFragment);
  if (UNSAFE_ENCODED_IN_PATH.test(rawPath)) return undefined;
  let url: URL;
  try {
    url = new URL(value, PROBE_BASE);
  } catch {
    return undefined;
  }
  if (url.origin !== PROBE_ORIGIN || url.username !== '' || url.password !== '') return undefined;
  const serialized = url.pathname + url.search + url.hash;
  // Dot segments can leave a path that starts with two slashes (`/.//evil.example`).
  if (serialized.charCodeAt(0) !== 0x2f || serialized.charCodeAt(1) === 0x2f || serialized.charCodeAt(1) === 0x5c) return undefined;
  return serialized;
}

/**
 * The path and query of an absolute URL on `origin` (Okta's `target_link_uri`), checked
 * as `sameSitePath` checks paths; `undefined` for another origin or anything unsafe.
 */
export function sameSitePathOfUrl(value: unknown, origin: URL): string | undefined {
  if (typeof value !== 'string' || value.length > MAX_TARGET_LENGTH || UNSAFE_CHARACTER.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value, origin);
  } catch {
    return undefined;
  }
  if (url.origin !== origin.origin || url.username !== '' || url.password !== '') return undefined;
  return sameSitePath(url.pathname + url.search);
}

/**
 * Where to come back to after signing in for a request this listener received: its
 * own path and query. Leading slashes and backslashes are folded into one (a request
 * line `GET //evil.example/x` asked for this host's `/evil.example/x`), then the path
 * is checked like any other target; `/` when it fails.
 */
export function sameSitePathOfRequest(requestUrl: string): string {
  return sameSitePath(requestUrl.replace(/^[/\\]+/, '/')) ?? '/';
}

/**
 * Who started a request, as the browser tells it:
 * - `same-origin`: Fetch Metadata says `same-origin` or `none` (typed, bookmarked), or
 *   there is none and `Origin` (else `Referer`) names the host the request addressed;
 * - `cross-site`: Fetch Metadata says anything else (`same-site` too: a sibling
 *   subdomain is another application), or `Origin`/`Referer` names another host, an
 *   opaque origin (`null`) or something unparsable;
 * - `unknown`: no browser signal at all (curl, a server, a very old browser).
 *
 * `host` is the host (and port) the client addressed: its `Host` header, or a trusted
 * load balancer's `X-Forwarded-Host`.
 */
export type RequestSite = 'same-origin' | 'cross-site' | 'unknown';

export function requestSite(headers: IncomingHttpHeaders, host: string | undefined): RequestSite {
  const fetchSite = headers['sec-fetch-site'];
  if (typeof fetchSite === 'string') {
    const value = fetchSite.trim().toLowerCase();
    return value === 'same-origin' || value === 'none' ? 'same-origin' : 'cross-site';
  }
  const origin = headers.origin;
  if (typeof origin === 'string') return sameHost(origin, host) ? 'same-origin' : 'cross-site';
  const referer = headers.referer;
  if (typeof referer === 'string') return sameHost(referer, host) ? 'same-origin' : 'cross-site';
  return 'unknown';
}

/** Whether another site started this request (see `requestSite`); requests without any browser signal are not. */
export function isCrossSite(headers: IncomingHttpHeaders, host: string | undefined): boolean {
  return requestSite(headers, host) === 'cross-site';
}

function sameHost(url: string, host: string | undefined): boolean {
  if (host === undefined || host === '' || url === 'null') return false;
  let from: URL;
  let addressed: URL;
  try {
    from = new URL(url);
    addressed = new URL(`http://${host}`);
  } catch {
    return false;
  }
  if (from.hostname !== addressed.hostname) return false;
  // A Host header carries no scheme: without a port it matches the origin's default one.
  if (addressed.port === '') return from.port === '';
  return (from.port || (from.protocol === 'https:' ? '443' : '80')) === addressed.port;
}
