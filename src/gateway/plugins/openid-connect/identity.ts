import type { ClaimSources } from './claims.js';
import type { AuthMethod } from './schema.js';
import type { OidcSession } from './session-record.js';

/** Who the request is, once a method has authenticated it. */
export interface Identity {
  method: AuthMethod;
  /**
   * Where claims are looked up, in order: the access token's claims (or the
   * introspection answer), then the ID token's, then userinfo, as Kong reads them.
   */
  sources: ClaimSources;
  accessToken: string;
  tokenType: string;
  idToken?: string | undefined;
  userinfo?: Record<string, unknown> | undefined;
}

/** A failed attempt: why (for the log), and whether a token was presented (for `WWW-Authenticate`). */
export interface Failure {
  reason: string;
  invalidToken: boolean;
}

export function sessionIdentity(session: OidcSession): Identity {
  return {
    method: 'session',
    sources: [session.claims, session.id_claims, session.userinfo ?? {}],
    accessToken: session.tokens.access_token,
    tokenType: session.tokens.token_type,
    idToken: session.tokens.id_token,
    userinfo: session.userinfo,
  };
}
