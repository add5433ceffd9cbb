import * as client from 'openid-client';
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { createHash } from 'node:crypto';
import type { Provider } from '../../../oidc/provider-cache.js';
import { nowSeconds } from './session-record.js';

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

export interface VerifiedToken {
  claims: Record<string, unknown>;
  /** Epoch seconds after which the result must not be reused. */
  expiresAt: number;
}

/**
 * Verifies a JWT against the provider's keys and the checks of RFC 9068 / OIDC Core
 * that apply to any token it issued: signature with one of its asymmetric
 * algorithms (never `none`, never HMAC), issuer, expiry, not-before, and an `iat`
 * that is not in the future.
 */
export async function verifyProviderJwt(
  provider: Provider,
  token: string,
  options: { audience?: string | undefined; leeway: number },
): Promise<Record<string, unknown>> {
  try {
    const { payload } = await jwtVerify(token, provider.keys, {
      issuer: provider.issuer,
      algorithms: provider.signingAlgorithms,
      clockTolerance: options.leeway,
      requiredClaims: ['exp', 'iat'],
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    });
    checkIssuedAt(payload, options.leeway);
    return payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TokenRejected) throw error;
    throw new TokenRejected(error instanceof Error ? error.message : 'token verification failed');
  }
}

export function checkIssuedAt(payload: JWTPayload, leeway: number): void {
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds() + leeway) {
    throw new TokenRejected('the token was issued in the future ("iat" claim)');
  }
}

export function looksLikeJwt(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every((part) => part.length > 0);
}

/** Claims of a JWT the provider handed to us directly (token endpoint), or undefined for opaque tokens. */
export function decodeIfJwt(token: string): Record<string, unknown> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Results of bearer verification and introspection, keyed by a hash of the token so
 * that a token is checked once and then costs a map lookup until it expires. The
 * cache holds hashes, never tokens.
 */
export class VerifiedTokenCache {
  readonly #cache: LRUCache<string, VerifiedToken>;

  constructor(max = 10_000) {
    this.#cache = new LRUCache({ max });
  }

  static key(token: string): string {
    return createHash('sha256').update(token).digest('base64url');
  }

  get(key: string): VerifiedToken | undefined {
    const hit = this.#cache.get(key);
    if (hit && hit.expiresAt > nowSeconds()) return hit;
    if (hit) this.#cache.delete(key);
    return undefined;
  }

  set(key: string, value: VerifiedToken): void {
    if (value.expiresAt > nowSeconds()) this.#cache.set(key, value);
  }
}

/** RFC 7662 introspection; an inactive token is rejected. */
export async function introspect(configuration: client.Configuration, token: string): Promise<Record<string, unknown>> {
  let response: client.IntrospectionResponse;
  try {
    response = await client.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' });
  } catch (error) {
    throw new TokenRejected(`introspection failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.active) throw new TokenRejected('the token is not active');
  return response as unknown as Record<string, unknown>;
}
