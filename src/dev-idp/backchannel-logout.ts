import { createHmac, randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { GatehouseError } from '../errors.js';
import type { AuthorizationServer } from './authorization-server.js';
import { DEVIDP_LOGOUT_TOKEN, DEVIDP_UNKNOWN_CLIENT } from './error-codes.js';

/**
 * OpenID Connect Back-Channel Logout 1.0, provider side: when a sign-in session ends at
 * `/v1/logout`, every client that got tokens in that session and registered a
 * `backchannel_logout_uri` receives a logout token (form POST, `logout_token=...`).
 *
 * - `sid`: every ID token issued in a sign-in session carries the same `sid`, derived from the
 *   oidc-provider session's `uid` (an HMAC, so the internal identifier never leaves the
 *   process). Sessions are per authorization server (see interactions.ts), so is the `sid`.
 * - Which clients: the token endpoint records, per session, each client it issued tokens to
 *   (see okta-compat.ts); the logout takes that list.
 */

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** The spec recommends a short lifetime ("e.g. two minutes"). */
const LOGOUT_TOKEN_TTL = 120;
/** How long the logout endpoint waits for each client before it redirects the browser anyway. */
const DELIVERY_TIMEOUT_MS = 5000;

/** The `sid` claim of the ID tokens of the sign-in session whose oidc-provider `uid` this is. */
export function sessionSid(key: string, sessionUid: string): string {
  return createHmac('sha256', key).update(`sid\0${sessionUid}`).digest('base64url').slice(0, 32);
}

/** Session uid -> the clients the token endpoint issued tokens to in that session. */
export class SessionClients {
  readonly #entries = new Map<string, { clients: Set<string>; expiresAt: number }>();
  readonly #ttlMs: number;

  constructor(ttlSeconds: number) {
    this.#ttlMs = ttlSeconds * 1000;
  }

  record(sessionUid: string, clientId: string): void {
    let entry = this.#entries.get(sessionUid);
    if (!entry) this.#entries.set(sessionUid, (entry = { clients: new Set(), expiresAt: 0 }));
    entry.clients.add(clientId);
    entry.expiresAt = Date.now() + this.#ttlMs;
  }

  /** The clients of a session, forgotten from now on (the session is over). */
  take(sessionUid: string): string[] {
    const entry = this.#entries.get(sessionUid);
    this.#entries.delete(sessionUid);
    return entry && entry.expiresAt > Date.now() ? [...entry.clients] : [];
  }

  sweep(): void {
    const now = Date.now();
    for (const [uid, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(uid);
  }
}

export interface LogoutTokenOptions {
  /** `'default'` (default), `'org'` or a seeded custom server id: whose issuer and signing key. */
  authServer?: string;
  /** A seeded client; `aud` unless `audience` says otherwise. */
  clientId: string;
  /** The user id (`00u…`), as the ID tokens' `sub`. */
  sub?: string;
  /** The `sid` of the ID tokens of the sign-in session that ended. */
  sid?: string;
  /** Overrides `aud` (negative tests: a token for another client). */
  audience?: string | string[];
  /** Claims to set or replace after the standard ones; a value of `undefined` removes the claim. */
  claims?: Record<string, unknown>;
  /** Claims to remove, e.g. `['events']`. */
  removeClaims?: string[];
}

/**
 * A logout token signed like the server's ID tokens (RS256, current key and kid), typed
 * `logout+jwt`: `iss`, `aud`, `iat`, `exp`, `jti`, `events`, and `sub` and/or `sid`.
 */
export async function signLogoutToken(server: AuthorizationServer, options: Omit<LogoutTokenOptions, 'authServer'>): Promise<string> {
  if (!server.deps.clients.has(options.clientId)) {
    throw new GatehouseError(DEVIDP_UNKNOWN_CLIENT, `unknown client '${options.clientId}'`, { status: 400, field: 'clientId' });
  }
  if (options.sub === undefined && options.sid === undefined) {
    throw new GatehouseError(DEVIDP_LOGOUT_TOKEN, 'a logout token names a sub, a sid or both', { status: 400, field: 'sub' });
  }
  const iat = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    iss: server.issuer,
    ...(options.sub !== undefined ? { sub: options.sub } : {}),
    aud: options.audience ?? options.clientId,
    iat,
    exp: iat + LOGOUT_TOKEN_TTL,
    jti: randomBytes(24).toString('base64url'),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...(options.sid !== undefined ? { sid: options.sid } : {}),
  };
  for (const [claim, value] of Object.entries(options.claims ?? {})) {
    if (value === undefined) delete payload[claim];
    else payload[claim] = value;
  }
  for (const claim of options.removeClaims ?? []) delete payload[claim];
  const key = server.keys.current;
  return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'logout+jwt' }).sign(key.privateKey);
}

export interface EndedSession {
  uid: string;
  accountId: string;
}

export interface BackchannelDelivery {
  clientId: string;
  uri: string;
  /** The client's HTTP status, or undefined when it could not be reached. */
  status?: number;
  error?: string;
}

/**
 * Sends a logout token to each client of the ended session that registered a
 * `backchannel_logout_uri`, in parallel, and waits for the answers (bounded by a timeout),
 * so that a test sees the relying party's session gone once the logout response arrived.
 * Failures are logged, never thrown: the browser's logout goes on regardless.
 */
export async function sendBackchannelLogouts(server: AuthorizationServer, session: EndedSession): Promise<BackchannelDelivery[]> {
  const { deps } = server;
  const sid = server.sessionSid(session.uid);
  const targets = server.sessionClients
    .take(session.uid)
    .map((clientId) => deps.clients.get(clientId))
    .filter((client) => client?.backchannel_logout_uri !== undefined);
  return Promise.all(
    targets.map(async (client): Promise<BackchannelDelivery> => {
      const clientId = client!.client_id;
      const uri = client!.backchannel_logout_uri!;
      try {
        const token = await signLogoutToken(server, { clientId, sub: session.accountId, sid });
        const response = await fetch(uri, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: new URLSearchParams({ logout_token: token }).toString(),
          signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        });
        await response.arrayBuffer().catch(() => undefined);
        const ok = response.status === 200 || response.status === 204;
        deps.log[ok ? 'info' : 'warn']({ clientId, status: response.status, userId: session.accountId }, ok ? 'dev IdP back-channel logout delivered' : 'dev IdP back-channel logout refused');
        return { clientId, uri, status: response.status };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        deps.log.warn({ clientId, error: message, userId: session.accountId }, 'dev IdP back-channel logout failed');
        return { clientId, uri, error: message };
      }
    }),
  );
}
