import * as client from 'openid-client';
import { createHash, randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { KeyRing } from '../crypto/keyring.js';

/**
 * The pending half of an authorization code flow, between the redirect to the
 * provider and the callback. It travels in the sealed, short-lived authorization
 * cookie (as oauth2-proxy and mod_auth_openidc keep it), so a request without a
 * session costs no server-side write; `ConsumedAuthorizations` makes each one usable
 * once on this node, and the provider accepts each code once anyway.
 */
export interface PendingAuthorization {
  /** Random id of this sign-in attempt, for single use. */
  aid: string;
  issuer: string;
  client_id: string;
  state: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  /** Same-origin path and query to return to after sign-in. */
  target: string;
  exp: number;
  context: Record<string, string>;
}

/** Longer targets are dropped (back to `/`) so the cookie stays well under browsers' 4 KB limit. */
const MAX_TARGET_LENGTH = 2048;

export function newId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * RFC 7636 4.2, `S256`: BASE64URL(SHA-256(ASCII(code_verifier))). openid-client's
 * `calculatePKCECodeChallenge` computes the same with WebCrypto, which waits for the
 * thread pool: a few hundred microseconds of every sign-in when the process was idle
 * (as it is between a browser's requests), against a few microseconds here.
 */
export function pkceCodeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

export async function beginAuthorization(options: {
  /** Same-origin path and query to return to after sign-in (already checked by the caller). */
  target: string;
  configuration: client.Configuration;
  issuer: string;
  clientId: string;
  redirectUri: string;
  scopes: readonly string[];
  keyRing: KeyRing;
  lifetimeSeconds: number;
  extraParameters?: Record<string, string>;
  /** Whatever else the callback needs to know (e.g. the organization); sealed with the rest. */
  context?: Record<string, string>;
}): Promise<{ location: string; cookieValue: string; expiresAt: number }> {
  const { configuration, keyRing } = options;
  const state = client.randomState();
  const nonce = client.randomNonce();
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = pkceCodeChallenge(codeVerifier);
  const expiresAt = Math.ceil(nowSeconds() + options.lifetimeSeconds);
  const target = options.target;
  const pending: PendingAuthorization = {
    aid: newId(),
    issuer: options.issuer,
    client_id: options.clientId,
    state,
    nonce,
    code_verifier: codeVerifier,
    redirect_uri: options.redirectUri,
    target: target.length > MAX_TARGET_LENGTH ? '/' : target,
    exp: expiresAt,
    context: options.context ?? {},
  };
  const cookieValue = await keyRing.seal({ ...pending }, expiresAt);
  const location = client.buildAuthorizationUrl(configuration, {
    redirect_uri: options.redirectUri,
    scope: options.scopes.join(' '),
    state,
    nonce,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    ...options.extraParameters,
  });
  return { location: location.href, cookieValue, expiresAt };
}

/**
 * Ids of sign-in attempts already completed (or failed) on this node, kept until
 * their cookie would have expired, so a replayed authorization cookie is refused.
 */
export class ConsumedAuthorizations {
  readonly #ids: LRUCache<string, true>;

  constructor(max = 100_000) {
    this.#ids = new LRUCache({ max, ttlAutopurge: false, ttl: 1 });
  }

  /** Marks the attempt used; false when it already was. */
  consume(pending: PendingAuthorization): boolean {
    if (this.#ids.has(pending.aid)) return false;
    const ttl = Math.max(1, Math.ceil((pending.exp - nowSeconds()) * 1000));
    this.#ids.set(pending.aid, true, { ttl });
    return true;
  }
}

/** Opens the authorization cookie; undefined when missing, forged, expired or malformed. */
export async function openPendingAuthorization(
  cookieValue: string | undefined,
  keyRing: KeyRing,
): Promise<PendingAuthorization | undefined> {
  if (!cookieValue) return undefined;
  const claims = await keyRing.unseal(cookieValue);
  if (!claims) return undefined;
  const fields = ['aid', 'issuer', 'client_id', 'state', 'nonce', 'code_verifier', 'redirect_uri', 'target'] as const;
  if (!fields.every((field) => typeof claims[field] === 'string') || typeof claims.exp !== 'number') return undefined;
  const context = claims.context && typeof claims.context === 'object' ? (claims.context as Record<string, string>) : {};
  return { ...(claims as unknown as PendingAuthorization), context };
}

/** Seconds with a fraction, for lifetimes. */
function nowSeconds(): number {
  return Date.now() / 1000;
}
