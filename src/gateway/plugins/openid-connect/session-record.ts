import type { TokenEndpointResponse } from 'openid-client';
import { decodeIfJwt } from '../../../oidc/token-verification.js';
import type { OpenIdConnectConfig } from './schema.js';

/** The id of a session's record in the session store: this, then the id sealed in the cookie. */
export const SESSION_PREFIX = 'sess:';

/** What the session store keeps for one signed-in browser. Never sent to the client. */
export interface OidcSession {
  v: 1;
  issuer: string;
  client_id: string;
  sub: string;
  created_at: number;
  last_seen: number;
  /** When `last_seen` was last written to the persistent store. */
  persisted_seen: number;
  rolled_at: number;
  tokens: SessionTokens;
  /** Claims of the access token when it is a JWT, plus the granted `scope` (see accessTokenClaims). */
  claims: Record<string, unknown>;
  /** Claims of the (last) ID token. */
  id_claims: Record<string, unknown>;
  userinfo?: Record<string, unknown> | undefined;
}

export interface SessionTokens {
  access_token: string;
  token_type: string;
  /** Epoch seconds; absent when the provider did not say. */
  expires_at?: number | undefined;
  obtained_at: number;
  refresh_token?: string | undefined;
  /** Kept for the provider's logout (`id_token_hint`) and `upstream_id_token_header`. */
  id_token?: string | undefined;
  /**
   * Only on a copy in memory: the ID token was left out of it, and the persistent store
   * has it (see session-packing.ts). Such a copy is never written back.
   */
  id_token_in_store?: true | undefined;
  scope?: string | undefined;
}

/** A session's `claims`: the access token's when it is a JWT, plus the `scope` the token endpoint granted. */
export function accessTokenClaims(accessToken: string, scope: string | undefined): Record<string, unknown> {
  return { ...decodeIfJwt(accessToken), ...(scope === undefined ? {} : { scope }) };
}

/** A session's tokens from the token endpoint's answer; a refresh keeps what the answer leaves out. */
export function tokensFrom(response: TokenEndpointResponse, previous?: SessionTokens): SessionTokens {
  const now = nowSeconds();
  return {
    access_token: response.access_token,
    token_type: response.token_type ?? 'Bearer',
    expires_at: typeof response.expires_in === 'number' ? now + response.expires_in : undefined,
    obtained_at: now,
    // Providers that do not rotate refresh tokens omit them from refresh answers.
    refresh_token: response.refresh_token ?? previous?.refresh_token,
    id_token: response.id_token ?? previous?.id_token,
    scope: response.scope ?? previous?.scope,
  };
}

/** Seconds with a fraction: whole seconds would make a 2-second idle limit anything from 1 to 2 seconds. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}

/**
 * What must happen before a session can serve a request, in the order the full path
 * (session.ts) settles them: it has ended (a timeout passed), its access token is due
 * for renewal, its use must be written to the persistent store (the idle or rolling
 * clock), or this route needs the whole record (the ID token) that the memory copy left
 * out. The fast path serves a session only while none is due, so a rule added here
 * binds both paths; the full path must settle it (`settle` in session.ts is exhaustive).
 */
export const SESSION_RULES = ['ended', 'token-renewal', 'use-write', 'whole-record'] as const;
export type SessionRule = (typeof SESSION_RULES)[number];

export function isDue(rule: SessionRule, session: OidcSession, config: OpenIdConnectConfig, now = nowSeconds()): boolean {
  switch (rule) {
    case 'ended':
      return sessionExpiry(session, config, now) === 0;
    case 'token-renewal':
      return needsRefresh(session.tokens, now);
    case 'use-write':
      return useNeedsWrite(session, config, now);
    case 'whole-record':
      return Boolean(config.upstream_id_token_header) && session.tokens.id_token_in_store === true;
  }
}

/** Whether a session belongs to this provider and client: plugins of other providers may share the cookie name. */
export function belongsTo(session: OidcSession, issuer: string, clientId: string): boolean {
  return session.issuer === issuer && session.client_id === clientId;
}

/** The moment a session ends unless it is used (or rolled) again, or `0` if it already has. */
export function sessionExpiry(session: OidcSession, config: OpenIdConnectConfig, now = nowSeconds()): number {
  // No array and no Math.min(...spread): this runs on every proxied request.
  let expiry = Number.MAX_SAFE_INTEGER;
  if (config.session_absolute_timeout > 0) expiry = Math.min(expiry, session.created_at + config.session_absolute_timeout);
  if (config.session_idling_timeout > 0) expiry = Math.min(expiry, session.last_seen + config.session_idling_timeout);
  if (config.session_rolling_timeout > 0) expiry = Math.min(expiry, session.rolled_at + config.session_rolling_timeout);
  return expiry > now ? expiry : 0;
}

/** A use of the session that writes nothing: the memory copy's idle clock (what touchSession does when no write is due). */
export function markUse(session: OidcSession, now = nowSeconds()): void {
  session.last_seen = now;
}

/**
 * Marks a use of the session. Returns true when the change must reach the
 * persistent store (see `useNeedsWrite`).
 */
export function touchSession(session: OidcSession, config: OpenIdConnectConfig, now = nowSeconds()): boolean {
  const rolls = rollingDue(session, config, now);
  const persist = rolls || idleClockStale(session, config, now);
  session.last_seen = now;
  if (rolls) session.rolled_at = now;
  if (persist) session.persisted_seen = now;
  return persist;
}

/** Whether a use of the session now must reach the persistent store (what `touchSession` would return); changes nothing. */
export function useNeedsWrite(session: OidcSession, config: OpenIdConnectConfig, now = nowSeconds()): boolean {
  return rollingDue(session, config, now) || idleClockStale(session, config, now);
}

/** The session rolls once half its rolling timeout has passed. */
function rollingDue(session: OidcSession, config: OpenIdConnectConfig, now: number): boolean {
  return config.session_rolling_timeout > 0 && now - session.rolled_at >= config.session_rolling_timeout / 2;
}

/** The stored idle clock may lag by a quarter of the idling timeout, at most a minute. */
function idleClockStale(session: OidcSession, config: OpenIdConnectConfig, now: number): boolean {
  if (config.session_idling_timeout <= 0) return false;
  return now - session.persisted_seen >= Math.min(60, Math.floor(config.session_idling_timeout / 4));
}

/**
 * Whether the access token should be renewed now: when it has expired, or has less
 * than half its lifetime (at most a minute) left, so requests never carry a token
 * that expires on its way upstream.
 */
export function needsRefresh(tokens: SessionTokens, now = nowSeconds()): boolean {
  if (tokens.expires_at === undefined) return false;
  const lifetime = Math.max(0, tokens.expires_at - tokens.obtained_at);
  const window = Math.min(60, Math.floor(lifetime / 2));
  return now >= tokens.expires_at - window;
}
