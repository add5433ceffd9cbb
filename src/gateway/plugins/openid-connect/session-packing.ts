import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { RecordPacking } from '../../../sessions/memory-tier.js';
import { accessTokenClaims, type OidcSession, type SessionTokens } from './session-record.js';

/**
 * The form a signed-in browser's session takes in memory while it is idle (see
 * MemoryTier). A record is about 3.3 KB of JSON, two thirds of it the access
 * and ID tokens, and the rest their claims decoded; as objects it costs about 4 KB of
 * heap. Packed it is about 1 KB, or 0.8 KB without the ID token:
 *
 * - `claims` and `id_claims` are left out when they are what the tokens say (they
 *   always are unless a provider changes its mind), and decoded again on unpacking;
 * - the JWTs' header and payload are kept as the JSON they encode, not base64url, so
 *   they compress against each other and the rest of the record;
 * - the whole is deflated with a dictionary of what every OpenID Connect session holds;
 * - the ID token itself is left out (its claims stay), since the session store's
 *   backend holds the whole record: only sign-out (`id_token_hint`) and a route with
 *   `upstream_id_token_header` use it, and they read the stored record when the copy
 *   says `id_token_in_store`. Once a route in this process sends the ID token upstream,
 *   copies keep it, so that route never reads the database per request.
 *
 * Otherwise nothing is lost: anything that does not round-trip exactly (a token that
 * is not canonical base64url JSON, claims that differ from the token's) is kept as it is.
 */
export class OidcSessionPacking implements RecordPacking<OidcSession> {
  #keepIdTokens = false;

  /** From now on, memory copies keep the ID token (a route sends it upstream with every request). */
  keepIdTokens(): void {
    this.#keepIdTokens = true;
  }

  pack(session: OidcSession): string {
    const { claims, id_claims: idClaims, tokens, ...rest } = session;
    const { access_token: accessToken, id_token: idToken, id_token_in_store: inStore, ...otherTokens } = tokens;
    const packed: PackedSession = { r: { ...rest, tokens: otherTokens }, a: splitJwt(accessToken) };
    // Compared as text, which is cheaper and makes less garbage; claims in another order are kept.
    if (JSON.stringify(claims) !== JSON.stringify(accessTokenClaims(accessToken, tokens.scope))) packed.c = claims;
    if (idToken !== undefined && this.#keepIdTokens) {
      packed.i = splitJwt(idToken);
      // The ID token's claims are its payload as the provider wrote it, so comparing text is enough (and cheaper).
      if (typeof packed.i !== 'object' || JSON.stringify(idClaims) !== packed.i[1]) packed.d = idClaims;
    } else {
      packed.d = idClaims;
      if (idToken !== undefined || inStore) packed.s = 1;
    }
    return deflateRawSync(JSON.stringify(packed), ZLIB).toString('latin1');
  }

  unpack(text: string): OidcSession {
    const packed = JSON.parse(inflateRawSync(Buffer.from(text, 'latin1'), ZLIB).toString('utf8')) as PackedSession;
    const tokens: SessionTokens = { ...packed.r.tokens, access_token: joinJwt(packed.a) };
    if (packed.i !== undefined) tokens.id_token = joinJwt(packed.i);
    if (packed.s === 1) tokens.id_token_in_store = true;
    return {
      ...packed.r,
      tokens,
      claims: packed.c ?? accessTokenClaims(tokens.access_token, tokens.scope),
      id_claims: packed.d ?? jwtPayload(packed.i!),
    } as OidcSession;
  }
}

/** One per process, like the session store it packs for. */
export const oidcSessionPacking = new OidcSessionPacking();

/** A JWT as [header JSON, payload JSON, signature], or the token as it is when that would not give it back exactly. */
type PackedToken = string | [header: string, payload: string, signature: string];

interface PackedSession {
  r: Omit<OidcSession, 'tokens' | 'claims' | 'id_claims'> & { tokens: Omit<SessionTokens, 'access_token' | 'id_token' | 'id_token_in_store'> };
  a: PackedToken;
  i?: PackedToken;
  c?: Record<string, unknown>;
  d?: Record<string, unknown>;
  /** The ID token was left out: the persistent store has it. */
  s?: 1;
}

function splitJwt(token: string): PackedToken {
  const parts = token.split('.');
  if (parts.length !== 3) return token;
  const header = Buffer.from(parts[0]!, 'base64url').toString('utf8');
  const payload = Buffer.from(parts[1]!, 'base64url').toString('utf8');
  const split: PackedToken = [header, payload, parts[2]!];
  return joinJwt(split) === token ? split : token;
}

function joinJwt(packed: PackedToken): string {
  if (typeof packed === 'string') return packed;
  return `${Buffer.from(packed[0]).toString('base64url')}.${Buffer.from(packed[1]).toString('base64url')}.${packed[2]}`;
}

function jwtPayload(packed: PackedToken): Record<string, unknown> | undefined {
  if (typeof packed === 'string') return undefined;
  try {
    const payload: unknown = JSON.parse(packed[1]);
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? (payload as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deflate finds repeats within 32 KB, and a record is its own only source of them; this
 * primes it with what every record has (the record's keys, JWT headers, common claims),
 * most frequent last, as zlib advises. Changing it makes packed records unreadable, so
 * it is fixed for the life of a process (packed records never leave it).
 */
const DICTIONARY = Buffer.from(
  [
    '"okta.com/oauth2/default","https://',
    '"amr":["pwd"],"idp":"','"at_hash":"','"c_hash":"','"nonce":"','"sid":"','"login_email":"',
    '"preferred_username":"','"given_name":"','"family_name":"','"email_verified":true,"locale":"',
    '"groups":["Everyone","','"name":"','"email":"','"userinfo":{"sub":"',
    '"scp":["openid","email","profile","offline_access"],','"uid":"00u','"cid":"',
    '"scope":"openid email profile offline_access"',
    '{"kid":"','","alg":"RS256"}','{"alg":"RS256","typ":"JWT","kid":"','{"alg":"RS256","kid":"',
    '"ver":1,"jti":"AT.','"ver":1,"jti":"ID.','"auth_time":1','"iat":1','"exp":1','"aud":"api://default","','"iss":"','"sub":"',
    '{"r":{"v":1,"issuer":"','","client_id":"','","sub":"','","created_at":1','"last_seen":1','"persisted_seen":1','"rolled_at":1',
    '"tokens":{"token_type":"Bearer","expires_at":1','"obtained_at":1','"refresh_token":"','"a":["','"i":["',
  ].join(''),
);

/**
 * A usual record and the dictionary fit in 4 KB, so a 4 KB window does (larger records
 * only compress a little less); the fastest level packs in about half the default's
 * time, 2% larger.
 */
const ZLIB = { dictionary: DICTIONARY, level: 1, windowBits: 12, memLevel: 5 } as const;
