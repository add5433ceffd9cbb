/**
 * Request-path handling shared by the router and the proxy, ported from Kong
 * (`kong/tools/uri.lua` and `get_upstream_uri` in `kong/router/utils.lua`, path_handling v0)
 * so that routes written for Kong match and forward the same way here.
 *
 * Paths are handled as "byte strings": every character is one byte (0-255), the way
 * Kong sees them. Node only accepts ASCII request targets, and decoding `%C3%A9` yields
 * the two characters `\xC3\xA9`; `escapePath` turns them back into the same triplets.
 * Route paths are converted to that form once, at compile time (`toByteString`).
 */

const RESERVED = "!*'();:@&=+$,/?%#[]";

/** Byte values whose percent-encoding must survive normalization: decoding them changes the URI's meaning. */
const KEEP_ENCODED = new Uint8Array(256);
for (let i = 0; i < RESERVED.length; i++) KEEP_ENCODED[RESERVED.charCodeAt(i)] = 1;

/** Characters sent upstream as they are; everything else is percent-encoded (Kong's ESCAPE_PATTERN). */
const SAFE = new Uint8Array(128);
for (const ch of "!#$&'()*+,/:;=?@[]-_.~%") SAFE[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) SAFE[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) SAFE[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) SAFE[c] = 1;

const HEX = '0123456789ABCDEF';
const TRIPLET = /%([0-9a-fA-F]{2})/g;

function decodeTriplet(match: string, hex: string): string {
  const byte = parseInt(hex, 16);
  // Reserved characters keep their encoding (upper-cased, so equal URIs compare equal).
  return KEEP_ENCODED[byte] === 1 ? match.toUpperCase() : String.fromCharCode(byte);
}

/**
 * Kong's `normalize(uri, true)`: decodes percent-encoded characters except reserved
 * ones, removes dot segments and merges slashes. Routing on the normalized path (and
 * forwarding it) is what stops `/public/%2e%2e/admin` from reaching `/admin` while
 * matching the `/public` route. Returns the same string when nothing changes, which is
 * the common case, without allocating.
 */
export function normalizePath(path: string): string {
  if (path === '/' || path === '') return path;
  if (path.includes('%')) path = path.replace(TRIPLET, decodeTriplet);
  // Dot segments always follow a slash in an absolute path; no `/.` and no `//` means nothing to do.
  if (!path.includes('/.') && !path.includes('//') && path.charCodeAt(0) !== 0x2e) return path;

  const out: string[] = [];
  let rest = path;
  while (rest.length > 0) {
    if (rest === '/.') {
      rest = '/';
    } else if (rest === '/..') {
      rest = '/';
      out.pop();
    } else if (rest === '.' || rest === '..') {
      rest = '';
    } else if (rest.startsWith('../')) {
      rest = rest.slice(3);
    } else if (rest.startsWith('./')) {
      rest = rest.slice(2);
    } else if (rest.startsWith('/./')) {
      rest = rest.slice(2);
    } else if (rest.startsWith('/../')) {
      rest = rest.slice(3);
      out.pop();
    } else if (rest.startsWith('//')) {
      rest = rest.slice(1);
    } else {
      const next = rest.indexOf('/', 1);
      if (next === -1) {
        out.push(rest);
        rest = '';
      } else {
        out.push(rest.slice(0, next));
        rest = rest.slice(next);
      }
    }
  }
  return out.join('');
}

/**
 * Kong's `escape`: percent-encodes what must not appear raw in a request target, so a
 * path decoded by `normalizePath` goes upstream with the same meaning it came in with.
 */
export function escapePath(path: string): string {
  let i = 0;
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c >= 128 || SAFE[c] !== 1) break;
  }
  if (i === path.length) return path;

  let out = path.slice(0, i);
  for (; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 128 && SAFE[c] === 1) out += path[i];
    else if (c < 256) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else {
      // Not reachable from a normalized request path (bytes only), but plugins may set any string.
      const codePoint = path.codePointAt(i)!;
      out += encodeURIComponent(String.fromCodePoint(codePoint));
      if (codePoint > 0xffff) i++;
    }
  }
  return out;
}

/** Converts a configured path (UTF-8 text) to the byte-string form request paths have after `normalizePath`. */
export function toByteString(text: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text : Buffer.from(text, 'utf8').toString('latin1');
}

function sanitizePostfix(postfix: string): string {
  if (postfix === '.' || postfix === '..') return '';
  if (postfix.startsWith('./')) return postfix.slice(2);
  if (postfix.startsWith('../')) return postfix.slice(3);
  return postfix;
}

/**
 * The upstream path, joined as Kong does with `path_handling = v0`: service path and
 * the (stripped) request path are treated as segments and joined with one slash.
 *
 * @param servicePath `service.path`, `null` meaning `/`
 * @param stripPath   `route.strip_path`
 * @param matchedPath what the route's path matched (prefix or whole regex match), `null` for routes without paths
 * @param requestPath the normalized request path, without query
 */
export function joinUpstreamPath(
  servicePath: string | null,
  stripPath: boolean,
  matchedPath: string | null,
  requestPath: string,
): string {
  const base = servicePath ?? '/';
  const stripped = stripPath && matchedPath !== null;
  const postfix = sanitizePostfix(stripped ? requestPath.slice(matchedPath.length) : requestPath.slice(1));
  const baseEndsWithSlash = base.charCodeAt(base.length - 1) === 0x2f;
  const requestEndsWithSlash = requestPath.charCodeAt(requestPath.length - 1) === 0x2f;

  if (baseEndsWithSlash) {
    if (!stripPath) return base + requestPath.slice(1);
    if (postfix === '') {
      if (base === '/') return '/';
      return requestEndsWithSlash ? base : base.slice(0, -1);
    }
    // Avoid a double slash where the base ends and the postfix begins.
    return postfix.charCodeAt(0) === 0x2f ? base.slice(0, -1) + postfix : base + postfix;
  }

  if (!stripPath) return requestPath === '/' ? base : base + requestPath;
  if (postfix === '') return requestPath.length > 1 && requestEndsWithSlash ? base + '/' : base;
  return postfix.charCodeAt(0) === 0x2f ? base + postfix : base + '/' + postfix;
}
