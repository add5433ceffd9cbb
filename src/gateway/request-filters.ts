/**
 * Removing named pieces from a Cookie header or a query string without re-encoding
 * the rest: the upstream must receive every other cookie and argument byte for byte
 * (signed cookies, `+` versus `%20`), so pairs are filtered as they were sent.
 */

/** The Cookie header without the named cookies; `null` when nothing is left. */
export function withoutCookies(header: string, names: ReadonlySet<string>): string | null {
  const kept = header.split(';').filter((pair) => {
    const eq = pair.indexOf('=');
    const name = (eq === -1 ? pair : pair.slice(0, eq)).trim();
    return name !== '' && !names.has(name);
  });
  return kept.length === 0 ? null : kept.map((pair) => pair.trim()).join('; ');
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
