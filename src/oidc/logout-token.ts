import type { Provider } from './provider-cache.js';
import { TokenRejected, verifyProviderJwt } from './token-verification.js';

/** The event a logout token carries (OpenID Connect Back-Channel Logout 1.0, section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** What a valid logout token says: end the sessions of `sid` (a provider session), else of `sub`. */
export interface LogoutToken {
  jti: string;
  sid?: string | undefined;
  sub?: string | undefined;
}

/**
 * Logout Token Validation (Back-Channel Logout 1.0, section 2.6), all but the replay
 * check, which needs the receiver's memory of `jti`s: signature, issuer, this client as
 * audience, `iat` and `exp`, the back-channel logout event, no `nonce`, a `jti`, and a
 * `sid` or a `sub` (each a string when present: a malformed `sid` must not widen the
 * logout to every session of the subject). Anyone can post a logout token, so an
 * unknown key fetches the provider's keys at most once per cool-down.
 */
export async function validateLogoutToken(
  provider: Provider,
  token: string,
  options: { clientId: string; leeway?: number | undefined },
): Promise<LogoutToken> {
  const claims = await verifyProviderJwt(provider, token, { audience: options.clientId, leeway: options.leeway, origin: 'presented' });
  const events = claims.events as Record<string, unknown> | undefined;
  if (!events || typeof events !== 'object' || !(BACKCHANNEL_LOGOUT_EVENT in events)) throw new TokenRejected('not a logout token (events)');
  if ('nonce' in claims) throw new TokenRejected('a logout token must not carry a nonce');
  if (typeof claims.jti !== 'string') throw new TokenRejected('a logout token needs a jti');
  if (typeof claims.sid !== 'string' && typeof claims.sub !== 'string') throw new TokenRejected('a logout token names a sid or a sub');
  if ('sid' in claims && typeof claims.sid !== 'string') throw new TokenRejected('a malformed sid must not widen the logout to every session');
  if ('sub' in claims && typeof claims.sub !== 'string') throw new TokenRejected('a malformed sub');
  return { jti: claims.jti, sid: claims.sid as string | undefined, sub: claims.sub as string | undefined };
}
