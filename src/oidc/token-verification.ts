import * as client from 'openid-client';
import { decodeJwt, type JWTPayload } from 'jose';
import type { Provider } from './provider-cache.js';
import type { TokenOrigin } from './provider-keys.js';
const nowSeconds = (): number => Date.now() / 1000;

/** Clock skew tolerated in `exp`, `nbf` and `iat` unless a caller sets its own (the plugin's `leeway`). */
export const DEFAULT_LEEWAY_SECONDS = 5;

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Verifies a JWT against the provider's keys and the checks of RFC 9068 / OIDC Core
 * that apply to any token it issued: signature with one of its asymmetric
 * algorithms (never `none`, never HMAC), issuer, expiry, not-before, and an `iat`
 * that is not in the future. `origin` says where the token came from, which decides
 * how an unknown signing key is handled (see TokenOrigin).
 */
export async function verifyProviderJwt(
  provider: Provider,
  token: string,
  options: {
    audience?: string | undefined;
    leeway?: number | undefined;
    /** The client id when the token must be an access token (bearer), not an ID token. */
    accessTokenFor?: string | undefined;
    origin: TokenOrigin;
  },
): Promise<Record<string, unknown>> {
  const leeway = options.leeway ?? DEFAULT_LEEWAY_SECONDS;
  try {
    const { payload, protectedHeader } = await provider.keys.verify(
      token,
      {
        issuer: provider.issuer,
        algorithms: provider.signingAlgorithms,
        clockTolerance: leeway,
        requiredClaims: ['exp', 'iat'],
        ...(options.audience === undefined ? {} : { audience: options.audience }),
      },
      options.origin,
    );
    checkIssuedAt(payload, leeway);
    if (options.accessTokenFor !== undefined) checkNotAnIdToken(protectedHeader, payload, options.accessTokenFor);
    return payload as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TokenRejected) throw error;
    throw new TokenRejected(error instanceof Error ? error.message : 'token verification failed');
  }
}

/**
 * An ID token is proof of a sign-in for one client, not a credential for APIs
 * (RFC 9068 section 4, and what oauth2-proxy enforces): bearer JWTs carrying ID token
 * markers, or addressed to this gateway's own client, are refused.
 */
export function checkNotAnIdToken(header: { typ?: unknown }, claims: Record<string, unknown>, clientId: string): void {
  if (typeof header.typ === 'string' && !/^(at\+jwt|application\/at\+jwt|jwt)$/i.test(header.typ)) {
    throw new TokenRejected(`a token of type ${header.typ} is not an access token`);
  }
  if ('nonce' in claims || 'at_hash' in claims || 'c_hash' in claims) {
    throw new TokenRejected('an ID token is not an access token');
  }
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audience.includes(clientId)) throw new TokenRejected('a token issued to this client itself is an ID token, not an access token');
}

function checkIssuedAt(payload: JWTPayload, leeway: number): void {
  if (typeof payload.iat !== 'number' || payload.iat > nowSeconds() + leeway) {
    throw new TokenRejected('the token was issued in the future ("iat" claim)');
  }
}

/** Three non-empty parts separated by dots (JWS compact serialization); checked on every bearer request, without splitting. */
export function looksLikeJwt(token: string): boolean {
  const first = token.indexOf('.');
  if (first <= 0) return false;
  const second = token.indexOf('.', first + 1);
  return second > first + 1 && second < token.length - 1 && token.indexOf('.', second + 1) === -1;
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

/** RFC 7662 introspection; an inactive token is rejected. */
export async function introspect(configuration: client.Configuration, token: string): Promise<Record<string, unknown>> {
  let response: client.IntrospectionResponse;
  try {
    response = await client.tokenIntrospection(configuration, token, { token_type_hint: 'access_token' });
  } catch (error) {
    throw new TokenRejected(`introspection failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!response.active) throw new TokenRejected('the token is not active');
  // Okta reports ID and refresh tokens as active too: only access tokens may pass.
  const type = response.token_type;
  if (typeof type === 'string' && !/^(bearer|access_token|urn:ietf:params:oauth:token-type:access_token)$/i.test(type)) {
    throw new TokenRejected(`the token is a ${type}, not an access token`);
  }
  return response as unknown as Record<string, unknown>;
}
