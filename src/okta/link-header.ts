/**
 * A small parser for HTTP `Link` headers (RFC 8288), enough for Okta's paging:
 *
 *   Link: <https://dev-123.okta.com/api/v1/groups?limit=200>; rel="self"
 *   Link: <https://dev-123.okta.com/api/v1/groups?after=00g…&limit=200>; rel="next"
 *
 * `fetch` joins repeated headers with ", ", and a URI may itself contain commas or
 * semicolons, so splitting on "," or ";" is wrong: this scans the value once, honouring
 * `<…>` and quoted strings. Malformed link-values are skipped, never guessed at.
 */

export interface LinkValue {
  /** The target, resolved against the base URL when one was given. */
  href: string;
  /** Relation types, lower-cased (`rel="next prev"` gives two). */
  rel: string[];
  /** Every parameter by lower-cased name; the first occurrence wins (RFC 8288 3.3 for `rel`). */
  params: Record<string, string>;
}

const WHITESPACE = new Set([' ', '\t']);
/** RFC 3986 excludes these from URIs; Okta never sends them inside `<…>`. */
const NOT_IN_URI = /[\s<>"{}|\\^`]/;

class Scanner {
  index = 0;
  constructor(readonly text: string) {}

  get done(): boolean {
    return this.index >= this.text.length;
  }

  peek(): string | undefined {
    return this.text[this.index];
  }

  skipWhitespace(): void {
    while (!this.done && WHITESPACE.has(this.text[this.index]!)) this.index += 1;
  }

  /** Characters up to (not including) the first of `stops`, or the end. */
  readUntil(stops: string): string {
    const start = this.index;
    while (!this.done && !stops.includes(this.text[this.index]!)) this.index += 1;
    return this.text.slice(start, this.index);
  }

  /** A quoted-string (RFC 9110 5.6.4) starting at the opening quote; undefined when unterminated. */
  readQuoted(): string | undefined {
    this.index += 1; // opening quote
    let value = '';
    while (!this.done) {
      const char = this.text[this.index]!;
      this.index += 1;
      if (char === '"') return value;
      if (char === '\\' && !this.done) {
        value += this.text[this.index]!;
        this.index += 1;
      } else {
        value += char;
      }
    }
    return undefined;
  }

  /** Moves past the next top-level comma (outside `<…>` and quotes), to resynchronise after garbage. */
  skipToNextLinkValue(): void {
    while (!this.done) {
      const char = this.text[this.index]!;
      if (char === ',') {
        this.index += 1;
        return;
      }
      if (char === '"') {
        if (this.readQuoted() === undefined) return;
        continue;
      }
      if (char === '<') {
        this.readUntil('>');
      }
      this.index += 1;
    }
  }
}

function resolve(reference: string, base: string | URL | undefined): string | undefined {
  try {
    return base === undefined ? new URL(reference).href : new URL(reference, base).href;
  } catch {
    return undefined;
  }
}

/**
 * Every well-formed link-value of a `Link` header. A relative target is resolved against
 * `base` (the URL the header came with); without a base, relative targets are dropped.
 */
export function parseLinkHeader(header: string | null | undefined, base?: string | URL): LinkValue[] {
  if (!header) return [];
  const scanner = new Scanner(header);
  const links: LinkValue[] = [];

  while (!scanner.done) {
    scanner.skipWhitespace();
    if (scanner.peek() === ',') {
      scanner.index += 1;
      continue;
    }
    if (scanner.done) break;
    if (scanner.peek() !== '<') {
      scanner.skipToNextLinkValue();
      continue;
    }
    scanner.index += 1;
    const reference = scanner.readUntil('>');
    if (scanner.done) break; // unterminated `<`
    scanner.index += 1;

    const params: Record<string, string> = {};
    let malformed = false;
    for (;;) {
      scanner.skipWhitespace();
      const next = scanner.peek();
      if (next === undefined || next === ',') break;
      if (next !== ';') {
        malformed = true;
        break;
      }
      scanner.index += 1;
      scanner.skipWhitespace();
      const name = scanner.readUntil('=;, \t').toLowerCase();
      scanner.skipWhitespace();
      let value = '';
      if (scanner.peek() === '=') {
        scanner.index += 1;
        scanner.skipWhitespace();
        if (scanner.peek() === '"') {
          const quoted = scanner.readQuoted();
          if (quoted === undefined) {
            malformed = true;
            break;
          }
          value = quoted;
        } else {
          value = scanner.readUntil(';, \t');
        }
      }
      if (name && !(name in params)) params[name] = value;
    }
    if (malformed) {
      scanner.skipToNextLinkValue();
      continue;
    }
    // Characters a URI-reference cannot hold mean the `<` was never closed where it seemed.
    if (NOT_IN_URI.test(reference)) continue;
    const href = resolve(reference, base);
    if (href === undefined) continue;
    const rel = (params.rel ?? '')
      .split(/[ \t]+/)
      .filter(Boolean)
      .map((type) => type.toLowerCase());
    links.push({ href, rel, params });
  }
  return links;
}

/** The target of the first link with relation type `rel` (case-insensitive), if any. */
export function findLink(header: string | null | undefined, rel: string, base?: string | URL): string | undefined {
  const wanted = rel.toLowerCase();
  return parseLinkHeader(header, base).find((link) => link.rel.includes(wanted))?.href;
}
