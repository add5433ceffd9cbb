import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { foreignSigningKey, type SigningKey } from './keys.js';
import type { TamperIdToken } from './switches.js';

/**
 * Last touches on the ID token the token endpoint returns, after oidc-provider built it:
 * oidc-provider has no hook that sees the access token value while building the ID token,
 * so `at_hash` (and Okta's `ID.` jti) are added here, and the token is signed again with the
 * same key and kid. `sid` becomes the sign-in session's id, the same for every client of the
 * session (oidc-provider's own is per client), which logout tokens name (backchannel-logout.ts).
 * The same step applies the `tamperNextIdToken` switch.
 */

/** OpenID Connect Core 3.1.3.6: left half of SHA-256 over the ASCII access token, base64url. */
export function atHash(accessToken: string): string {
  const digest = createHash('sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** Okta's claim order, so decoded tokens read like Okta's; other claims follow. */
const CLAIM_ORDER = [
  'sub', 'name', 'email', 'ver', 'iss', 'aud', 'iat', 'exp', 'jti', 'amr', 'idp', 'nonce',
  'preferred_username', 'auth_time', 'at_hash', 'sid', 'login_email', 'groups',
];

function ordered(payload: JWTPayload): JWTPayload {
  const out: JWTPayload = {};
  for (const claim of CLAIM_ORDER) if (payload[claim] !== undefined) out[claim] = payload[claim];
  for (const [claim, value] of Object.entries(payload)) if (!(claim in out)) out[claim] = value;
  return out;
}

export interface FinalizeIdTokenOptions {
  /** The ID token oidc-provider issued (trusted: it comes from this process). */
  idToken: string;
  accessToken?: string;
  /** The sign-in session's id for the `sid` claim (none when the session is unknown). */
  sid?: string;
  signingKey: SigningKey;
  /** For `previous-key` tampering: the replaced key the JWKS still publishes. */
  previousKey?: SigningKey | undefined;
  tamper?: TamperIdToken;
  /** Needed only for `hs256-client-secret` tampering. */
  clientSecret?: string;
}

export async function finalizeIdToken(options: FinalizeIdTokenOptions): Promise<string> {
  const payload: JWTPayload = decodeJwt(options.idToken);
  if (options.sid) payload.sid = options.sid;
  else delete payload.sid;
  payload.jti = `ID.${randomBytes(32).toString('base64url')}`;
  if (options.accessToken) payload.at_hash = atHash(options.accessToken);

  const tamper = options.tamper;
  if (!tamper) {
    return new SignJWT(ordered(payload)).setProtectedHeader({ alg: 'RS256', kid: options.signingKey.kid }).sign(options.signingKey.privateKey);
  }

  for (const [claim, value] of Object.entries(tamper.claims ?? {})) {
    if (value === undefined) delete payload[claim];
    else payload[claim] = value;
  }
  for (const claim of tamper.removeClaims ?? []) delete payload[claim];
  const claims = ordered(payload);
  const header = tamper.header ?? {};
  const withoutRemoved = (protectedHeader: Record<string, unknown>) => {
    for (const name of tamper.removeHeader ?? []) if (name !== 'alg') delete protectedHeader[name];
    return protectedHeader as { alg: string };
  };

  switch (tamper.signWith ?? 'own-key') {
    case 'none':
      return new UnsecuredJWT(claims).encode();
    case 'hs256-client-secret': {
      if (!options.clientSecret) throw new Error('hs256-client-secret tampering needs the client secret');
      return new SignJWT(claims)
        .setProtectedHeader(withoutRemoved({ ...header, alg: 'HS256' }))
        .sign(new TextEncoder().encode(options.clientSecret));
    }
    case 'foreign-key': {
      const foreign = await foreignSigningKey();
      return new SignJWT(claims).setProtectedHeader(withoutRemoved({ kid: foreign.kid, ...header, alg: 'RS256' })).sign(foreign.privateKey);
    }
    case 'previous-key': {
      const previous = options.previousKey;
      if (!previous) throw new Error('previous-key tampering needs a rotation that kept the previous key (keepPrevious)');
      return new SignJWT(claims).setProtectedHeader(withoutRemoved({ kid: previous.kid, ...header, alg: 'RS256' })).sign(previous.privateKey);
    }
    case 'own-key':
      return new SignJWT(claims)
        .setProtectedHeader(withoutRemoved({ kid: options.signingKey.kid, ...header, alg: 'RS256' }))
        .sign(options.signingKey.privateKey);
  }
}
