import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, stringifySetCookie } from 'cookie';
import { ORGANIZATION_SESSION_COOKIE } from '../identity/organization-session.js';
import { isCrossSite } from '../web/same-site.js';

/**
 * CSRF protection for every state-changing console request: a signed double-submit
 * token tied to the session (OWASP's "signed double-submit cookie").
 *
 * - The browser holds a random `gatehouse_console_csrf` cookie (HttpOnly,
 *   SameSite=Strict), set the first time it loads a console page.
 * - Pages carry the token `HMAC(key, csrf cookie ‖ session cookie)`: in a
 *   `<meta name="csrf-token">` for scripts (sent back as `X-CSRF-Token`) and in a
 *   hidden `_csrf` field of every form.
 * - Every POST/PUT/PATCH/DELETE must bring a token equal to the one computed from the
 *   cookies it carries; requests another site started (src/web/same-site.ts) are
 *   refused outright.
 *
 * Why signed and not a plain double-submit: another site cannot read the token, and a
 * sibling host that can plant cookies still cannot mint a matching token without
 * Gatehouse's key. Why tied to the session: a token seen before sign-in (or in
 * another session) is worthless after it, since signing in or out changes the
 * session cookie and so every token. No server-side state: any node with the same
 * `GATEHOUSE_KEYS` checks any token.
 */

export const CSRF_COOKIE = 'gatehouse_console_csrf';
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type CsrfRefusal = 'cross-site' | 'no-cookie' | 'no-token' | 'mismatch';

export interface CsrfKey {
  /** A keyed MAC (KeyRing.fingerprint): equal inputs give equal outputs, unforgeable without the key. */
  fingerprint(purpose: string, data: string): string;
}

export function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.headers.cookie ? parseCookie(request.headers.cookie) : {};
}

export class CsrfGuard {
  readonly #key: CsrfKey;
  /** The cookie minted while answering a request, so every token of that page matches it. */
  readonly #minted = new WeakMap<FastifyRequest, string>();

  constructor(key: CsrfKey) {
    this.#key = key;
  }

  #expected(cookie: string, session: string | undefined): string {
    return this.#key.fingerprint('console-csrf', `${cookie}\0${session ?? ''}`);
  }

  /**
   * The token for the page being rendered. Sets the CSRF cookie when the browser has
   * none; `session` overrides the request's session cookie (a page rendered in the
   * same response that set a new session).
   */
  token(request: FastifyRequest, reply: FastifyReply, session?: string | null): string {
    const cookies = cookiesOf(request);
    let cookie = this.#minted.get(request) ?? cookies[CSRF_COOKIE];
    if (!cookie) {
      cookie = randomBytes(32).toString('base64url');
      this.#minted.set(request, cookie);
      reply.header(
        'set-cookie',
        stringifySetCookie(CSRF_COOKIE, cookie, { path: '/', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' }),
      );
    }
    return this.#expected(cookie, session === undefined ? cookies[ORGANIZATION_SESSION_COOKIE] : (session ?? undefined));
  }

  /** Why a state-changing request must be refused, or undefined when it may go on. Safe methods always pass. */
  check(request: FastifyRequest): CsrfRefusal | undefined {
    if (SAFE_METHODS.has(request.method)) return undefined;
    if (isCrossSite(request.headers, request.headers.host)) return 'cross-site';
    const cookies = cookiesOf(request);
    const cookie = cookies[CSRF_COOKIE];
    if (!cookie) return 'no-cookie';
    const header = request.headers[CSRF_HEADER];
    const body = request.body as Record<string, unknown> | undefined;
    const given = typeof header === 'string' ? header : body && typeof body === 'object' && typeof body[CSRF_FIELD] === 'string' ? body[CSRF_FIELD] : undefined;
    if (!given) return 'no-token';
    const expected = Buffer.from(this.#expected(cookie, cookies[ORGANIZATION_SESSION_COOKIE]));
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected) ? undefined : 'mismatch';
  }
}

/** What the person is told: no detail that would help an attacker, a way forward that helps a user. */
export function csrfMessage(refusal: CsrfRefusal): string {
  return refusal === 'cross-site'
    ? 'This request was started by another site, so the console refused it.'
    : 'This form has expired (you signed in or out, or cookies were cleared). Reload the page and try again.';
}
