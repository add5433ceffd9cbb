import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { BaseTokenModel, KoaContextLike, StructuredToken } from 'oidc-provider';
import type { Directory } from './directory.js';

/**
 * Okta-shaped JWT access tokens. oidc-provider issues them (as resource-server tokens, see
 * the provider configuration) but neither stores nor accepts them afterwards: its userinfo
 * refuses tokens with an audience, and its introspection and revocation refuse structured
 * tokens. The stand-in therefore verifies them itself, with jose against its own keys, and
 * keeps its own list of revoked ones.
 */

/**
 * Rewrites oidc-provider's access token payload to Okta's claim set:
 * `ver, jti, iss, aud, iat, exp, cid, uid, scp, auth_time, sub` where `sub` is the login.
 */
export function createAccessTokenCustomizer(directory: Directory) {
  return (ctx: KoaContextLike | undefined, token: BaseTokenModel, jwt: StructuredToken): void => {
    if (token.kind !== 'AccessToken') return;
    const { payload } = jwt;
    const user = token.accountId ? directory.userById(token.accountId) : undefined;
    const source = ctx?.oidc?.entities.AuthorizationCode ?? ctx?.oidc?.entities.RefreshToken;
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    jwt.payload = {
      ver: 1,
      jti: `AT.${String(payload.jti)}`,
      iss: payload.iss,
      aud: payload.aud,
      iat: payload.iat,
      exp: payload.exp,
      cid: payload.client_id,
      uid: token.accountId,
      scp: scope ? scope.split(' ') : [],
      ...(source?.authTime !== undefined ? { auth_time: source.authTime } : {}),
      sub: user?.login ?? token.accountId ?? payload.client_id,
    };
    // Okta's access tokens carry only alg and kid in their header, no `typ: at+jwt`.
    jwt.header = { ...jwt.header, typ: undefined };
  };
}

export interface OktaAccessTokenClaims extends JWTPayload {
  scp: string[];
  cid: string;
  uid?: string;
}

/** jti -> exp (epoch seconds), for the revoked access tokens of one authorization server. */
export class RevocationList {
  readonly #revoked = new Map<string, number>();

  revoke(jti: string, exp: number): void {
    this.#revoked.set(jti, exp);
    this.#sweep();
  }

  isRevoked(jti: string | undefined): boolean {
    return jti !== undefined && this.#revoked.has(jti);
  }

  #sweep(): void {
    const now = Math.floor(Date.now() / 1000);
    for (const [jti, exp] of this.#revoked) if (exp < now) this.#revoked.delete(jti);
  }
}

export type AccessTokenCheck =
  | { valid: true; claims: OktaAccessTokenClaims }
  | { valid: false; reason: string };

/**
 * Verifies an access token of this authorization server: signature by one of its keys,
 * issuer, audience, lifetime, not revoked, and its user still ACTIVE (Okta invalidates the
 * tokens of deactivated users).
 */
export async function verifyAccessToken(
  token: string,
  options: { keys: JWTVerifyGetKey; issuer: string; audience: string; revoked: RevocationList; directory: Directory },
): Promise<AccessTokenCheck> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, options.keys, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['RS256'],
    }));
  } catch (error) {
    return { valid: false, reason: error instanceof Error ? error.message : 'invalid token' };
  }
  if (!Array.isArray(payload.scp) || typeof payload.cid !== 'string') {
    return { valid: false, reason: 'not an access token' };
  }
  if (options.revoked.isRevoked(payload.jti)) return { valid: false, reason: 'revoked' };
  const user = typeof payload.uid === 'string' ? options.directory.userById(payload.uid) : undefined;
  if (!user || user.status !== 'ACTIVE') return { valid: false, reason: 'user is not active' };
  return { valid: true, claims: payload as OktaAccessTokenClaims };
}
