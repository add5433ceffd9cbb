import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { OidcSessionPacking, oidcSessionPacking } from '../../../src/gateway/plugins/openid-connect/session-packing.js';
import { accessTokenClaims, type OidcSession } from '../../../src/gateway/plugins/openid-connect/session-record.js';

const ISSUER = 'https://acme.okta.com/oauth2/default';
const { privateKey } = await generateKeyPair('RS256');

async function jwt(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'JWT' }).sign(privateKey);
}

/** A session as the callback builds it, from tokens signed like Okta's. */
async function signedInSession(overrides: Partial<OidcSession> = {}): Promise<OidcSession> {
  const now = Math.floor(Date.now() / 1000);
  const scope = 'openid email profile offline_access';
  const accessToken = await jwt({
    ver: 1, jti: 'AT.x1Lq0', iss: ISSUER, aud: 'api://default', iat: now, exp: now + 3600,
    cid: '0oa1client', uid: '00u1alice', scp: scope.split(' '), auth_time: now, sub: 'alice@example.com',
  });
  const idClaims = {
    sub: '00u1alice', name: 'Alice Admin', email: 'alice@example.com', ver: 1, iss: ISSUER, aud: '0oa1client',
    iat: now, exp: now + 3600, jti: 'ID.q2P', amr: ['pwd'], idp: '00o1', nonce: 'n-0S6_WzA2Mj', auth_time: now,
    at_hash: 'gvxl9mcQJjC45GFJgRsWvw', groups: ['Everyone', 'service_admin'],
  };
  const idToken = await jwt(idClaims);
  return {
    v: 1,
    issuer: ISSUER,
    client_id: '0oa1client',
    sub: '00u1alice',
    created_at: now + 0.25,
    last_seen: now + 0.5,
    persisted_seen: now + 0.5,
    rolled_at: now + 0.25,
    tokens: { access_token: accessToken, token_type: 'Bearer', expires_at: now + 3600, obtained_at: now, refresh_token: 'rt-8TqvX2', id_token: idToken, scope },
    claims: accessTokenClaims(accessToken, scope),
    id_claims: idClaims,
    ...overrides,
  };
}

/** A packing that keeps ID tokens (a route sends them upstream): nothing may be left out. */
const whole = new OidcSessionPacking();
whole.keepIdTokens();

/** What a record is after a trip through JSON (the persistent store): keys whose value is undefined go. */
function asJson(session: OidcSession): unknown {
  return JSON.parse(JSON.stringify(session));
}

describe('openid-connect session packing', () => {
  it('gives back the same session at about a third of its JSON size', async () => {
    const session = await signedInSession({ userinfo: { sub: '00u1alice', locale: 'en-GB' } });
    const packed = whole.pack(session);
    assert.deepEqual(whole.unpack(packed), asJson(session));
    const json = Buffer.byteLength(JSON.stringify(session));
    assert.ok(packed.length < json * 0.45, `packed ${packed.length} bytes of ${json} bytes of JSON`);
  });

  it('keeps claims that differ from the tokens, and tokens that are not JWTs, exactly', async () => {
    const signedIn = await signedInSession();
    const session = await signedInSession({
      claims: { ...signedIn.claims, scope: 'openid', extra: ['x'] },
      id_claims: { ...signedIn.id_claims, groups: ['Everyone'] },
    });
    assert.deepEqual(whole.unpack(whole.pack(session)), asJson(session));

    const opaque = await signedInSession();
    opaque.tokens.access_token = 'opaque-7f3a9c';
    opaque.claims = accessTokenClaims(opaque.tokens.access_token, opaque.tokens.scope);
    delete opaque.tokens.id_token;
    delete opaque.tokens.expires_at;
    assert.deepEqual(whole.unpack(whole.pack(opaque)), asJson(opaque));
  });

  it('never rewrites a token, even one whose base64url would not come back the same', async () => {
    const session = await signedInSession();
    const [header, payload, signature] = session.tokens.access_token.split('.') as [string, string, string];
    const variants = [
      `${header}=.${payload}.${signature}`, // padding
      `${header}.${payload}.${signature}.extra`,
      `${header}.${payload.slice(0, -1)}${payload.endsWith('A') ? 'B' : 'A'}.${signature}`, // other trailing bits or bytes
      `${header}.${Buffer.from('{"a":"\u00e9\u{1F600}"}').toString('base64url')}.${signature}`,
      `${header}.${Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url')}.${signature}`, // not UTF-8
    ];
    for (const accessToken of variants) {
      const odd = { ...session, tokens: { ...session.tokens, access_token: accessToken } };
      odd.claims = accessTokenClaims(accessToken, odd.tokens.scope);
      const unpacked = whole.unpack(whole.pack(odd));
      assert.equal(unpacked.tokens.access_token, accessToken);
      assert.deepEqual(unpacked, asJson(odd));
    }
  });

  it('leaves the ID token out when the store behind holds it, and says so', async () => {
    const session = await signedInSession();
    const withIdToken = whole.pack(session);
    const packed = oidcSessionPacking.pack(session);
    const copy = oidcSessionPacking.unpack(packed);
    assert.equal(copy.tokens.id_token, undefined);
    assert.equal(copy.tokens.id_token_in_store, true);
    const { id_token: _left, ...otherTokens } = session.tokens;
    assert.deepEqual(copy, asJson({ ...session, tokens: { ...otherTokens, id_token_in_store: true } }), 'everything else, ID claims included, is kept');
    assert.ok(packed.length < withIdToken.length - 200, `without the ID token ${packed.length} bytes, with it ${withIdToken.length}`);
    const again = oidcSessionPacking.unpack(oidcSessionPacking.pack(copy));
    assert.equal(again.tokens.id_token_in_store, true, 'packed again, the copy still says where its ID token is');

    const withoutIdToken = await signedInSession();
    delete withoutIdToken.tokens.id_token;
    assert.equal(oidcSessionPacking.unpack(oidcSessionPacking.pack(withoutIdToken)).tokens.id_token_in_store, undefined, 'no ID token, nothing to fetch');
  });

  it('keeps the ID token once a route sends it upstream', async () => {
    const packing = new OidcSessionPacking();
    const session = await signedInSession();
    assert.equal(packing.unpack(packing.pack(session)).tokens.id_token, undefined);
    packing.keepIdTokens();
    assert.deepEqual(packing.unpack(packing.pack(session)), asJson(session));
  });
});
