/**
 * Return targets an attacker might try, shared by the unit test of the rule and the
 * HTTP tests of every listener that redirects. `refused`: each must be turned away
 * (the caller's default instead). `rewritten`: same-site after all, but only in the URL
 * parser's ASCII serialization, which is what must reach the `Location` header.
 */

const EVIL = 'evil.example';

// Characters browsers drop, fold or choke on inside URLs, and separators people paste.
const CONTROL = ['\t', '\n', '\r', '\0', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f', '\x85', '\x9f', ' ', '\u2028', '\u2029'];

function controlVariants(): string[] {
  const out: string[] = [];
  for (const c of CONTROL) {
    out.push(`/${c}/${EVIL}`, `/${c}${c}/${EVIL}`, `${c}//${EVIL}`, `/${c}\\${EVIL}`, `/landing${c}`);
  }
  return out;
}

export const REFUSED_TARGETS: readonly string[] = [
  // Another origin, spelled every way a browser accepts.
  `//${EVIL}`,
  `///${EVIL}`,
  `////${EVIL}/x`,
  `/\\${EVIL}`,
  `\\\\${EVIL}`,
  `\\/${EVIL}`,
  `/\\/${EVIL}`,
  `https://${EVIL}/`,
  `http://${EVIL}`,
  `HTTPS://${EVIL}`,
  `http:${EVIL}`,
  `https:/${EVIL}`,
  `http:/\\${EVIL}`,
  `//${EVIL}@good.example`,
  `//good.example@${EVIL}`,
  `//${EVIL}:443/`,
  `//${EVIL}%2f@good`,
  `//%65vil.example`,
  `//${EVIL}/%2e%2e`,
  `ftp://${EVIL}/`,
  `javascript:alert(1)`,
  `JavaScript:alert(document.domain)`,
  `data:text/html,<script>alert(1)</script>`,
  `vbscript:msgbox(1)`,
  `blob:https://${EVIL}/x`,
  `mailto:a@${EVIL}`,
  // Not a path at all.
  EVIL,
  `${EVIL}/x`,
  'landing',
  '',
  '?x=1',
  '#top',
  '.',
  '..',
  './x',
  '../x',
  '~/x',
  // Dot segments and encodings that leave a path starting with two slashes.
  `/.//${EVIL}`,
  `/..//${EVIL}`,
  `/./..//${EVIL}`,
  `/a/..//${EVIL}`,
  `/%2e//${EVIL}`,
  `/%2e%2e//${EVIL}`,
  `/a/%2E%2E//${EVIL}`,
  // Encoded slashes and backslashes, which a later hop may decode to `//` or `\`.
  `/%2f${EVIL}`,
  `/%2F%2F${EVIL}`,
  `/%2f/${EVIL}`,
  `/%5c${EVIL}`,
  `/%5C%5C${EVIL}`,
  `/x/%2f%2f${EVIL}`,
  `/%2F%252f${EVIL}`,
  // Encoded control characters in the path (a tab or newline once decoded).
  `/%09/${EVIL}`,
  `/%09%09/${EVIL}`,
  `/%0a/${EVIL}`,
  `/%0d/${EVIL}`,
  `/%0D%0A/${EVIL}`,
  `/%00`,
  `/%7f/${EVIL}`,
  // Header injection through the target.
  `/x\r\nSet-Cookie: a=b`,
  `/x\nLocation: //${EVIL}`,
  `/x\r\n\r\n<script>`,
  // Too long to be a return address.
  `/${'a'.repeat(5000)}`,
  ...controlVariants(),
];

/** Same-site targets that must reach the `Location` header as the URL parser serializes them. */
export const REWRITTEN_TARGETS: ReadonlyArray<readonly [string, string]> = [
  ['/。', '/%E3%80%82'],
  ['/。/evil.example', '/%E3%80%82/evil.example'],
  ['/\uff0f\uff0fevil.example', '/%EF%BC%8F%EF%BC%8Fevil.example'],
  ['/café?q=thé', '/caf%C3%A9?q=th%C3%A9'],
  ['/a/./b/../c', '/a/c'],
  ['/x?next=//evil.example', '/x?next=//evil.example'],
  ['/x?q=%0a', '/x?q=%0a'],
  ['/x#fragment', '/x#fragment'],
  ['/@evil.example', '/@evil.example'],
];

/** Plain same-site targets, returned unchanged. */
export const ACCEPTED_TARGETS: readonly string[] = ['/', '/home', '/app/page?x=1&y=2', '/users?q=a%20b', '/demo/x#top', '/a:b'];
