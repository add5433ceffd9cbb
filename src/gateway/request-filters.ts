/**
 * Removing named pieces from a Cookie header or a query string without re-encoding
 * the rest: the upstream must receive every other cookie and argument byte for byte
 * (signed cookies, `+` versus `%20`), so pairs are filtered as they were sent.
 */

/**
 * The Cookie header without the named cookies; `null` when nothing is left. Every request
 * that carries cookies passes here, so the header is scanned in place rather than split
 * into arrays.
 */
export function withoutCookies(header: string, names: ReadonlySet<string>): string | null {
  let kept: string | null = null;
  const length = header.length;
  let start = 0;
  while (start <= length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = length;
    const eq = header.indexOf('=', start);
    const name = header.slice(start, eq === -1 || eq > end ? end : eq).trim();
    if (name !== '' && !names.has(name)) {
      const pair = header.slice(start, end).trim();
      kept = kept === null ? pair : `${kept}; ${pair}`;
    }
    start = end + 1;
  }
  return kept;
}

/** Whether a `Set-Cookie` line sets one of the named cookies. */
export function setsCookie(line: string, names: ReadonlySet<string>): boolean {
  const eq = line.indexOf('=');
  return eq !== -1 && names.has(line.slice(0, eq).trim());
}

/** The raw query (without `?`) minus the named arguments; empty string when nothing is left. */
export function withoutQueryArguments(query: string, names: ReadonlySet<string>): string {
  return query
    .split('&')
    .filter((pair) => {
      if (pair === '') return false;
      const eq = pair.indexOf('=');
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name: string;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        name = rawName;
      }
      return !names.has(name);
    })
    .join('&');
}
