import type { TokenOrigin } from './provider-keys.js';
import type { Provider } from './provider-cache.js';
import { TokenRejected, verifyProviderJwt } from './token-verification.js';

/**
 * ID Token Validation (OpenID Connect Core 3.1.3.7) for this client: what
 * verifyProviderJwt checks, with the client as audience, then `azp` (required to be
 * this client when there are several audiences, and never another party) and a
 * subject. With `subject`, the token must be about that End-User: a refreshed ID token
 * names the person the session was opened for (Core 12.2). Every sign-in (plugin and
 * organization) and every refresh validates its ID tokens here.
 */
export async function validateIdToken(
  provider: Provider,
  token: string,
  options: { clientId: string; origin: TokenOrigin; leeway?: number | undefined; subject?: string | undefined },
): Promise<Record<string, unknown>> {
  const claims = await verifyProviderJwt(provider, token, { audience: options.clientId, leeway: options.leeway, origin: options.origin });
  if (Array.isArray(claims.aud) && claims.aud.length > 1 && claims.azp !== options.clientId) {
    throw new TokenRejected('the ID token has several audiences and its azp is not this client');
  }
  if (claims.azp !== undefined && claims.azp !== options.clientId) throw new TokenRejected('the ID token was issued to another party (azp)');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw new TokenRejected('the ID token has no subject');
  if (options.subject !== undefined && claims.sub !== options.subject) throw new TokenRejected('the refreshed ID token names another subject');
  return claims;
}
