import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLocalJWKSet, createRemoteJWKSet, importJWK, jwtVerify, errors as joseErrors, type JWK } from 'jose';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, decodeJwtParts, signInAndExchange, signInRaw } from './oidc-client.js';

describe('dev IdP tamperNextIdToken', () => {
  let idp: DevIdp;
  let jwks: ReturnType<typeof createRemoteJWKSet>;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
    jwks = createRemoteJWKSet(new URL(`${idp.issuer()}/v1/keys`));
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  const idTokenWith = async (tamper: NonNullable<DevIdp['switches']['tamperNextIdToken']>) => {
    idp.switches.tamperNextIdToken = tamper;
    const { body, status } = await signInRaw(idp, { username: 'alice@example.com' });
    assert.equal(status, 200);
    assert.equal(idp.switches.tamperNextIdToken, undefined, 'consumed after one use');
    return String(body.id_token);
  };

  it('own-key: validly signed, with the requested claims changed and removed', async () => {
    const token = await idTokenWith({ claims: { aud: 'someone-else', nonce: 'wrong' }, removeClaims: ['email'] });
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: idp.issuer() });
    assert.equal(payload.aud, 'someone-else');
    assert.equal(payload.nonce, 'wrong');
    assert.equal('email' in payload, false);
    assert.equal(payload.sub, '00ualice000000000001');
    assert.equal(protectedHeader.alg, 'RS256');
  });

  it('own-key: wrong issuer, azp, expired, iat in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = await idTokenWith({ claims: { iss: 'https://evil.example', azp: 'other-client', exp: now - 60, iat: now + 3600 } });
    const { payload } = decodeJwtParts(token);
    assert.equal(payload.iss, 'https://evil.example');
    assert.equal(payload.azp, 'other-client');
    assert.equal(payload.exp, now - 60);
    assert.equal(payload.iat, now + 3600);
    await assert.rejects(jwtVerify(token, jwks), joseErrors.JWTExpired);
  });

  it("foreign-key: signed by a key the JWKS does not publish", async () => {
    const token = await idTokenWith({ signWith: 'foreign-key' });
    const { header } = decodeJwtParts(token);
    assert.equal(header.alg, 'RS256');
    await assert.rejects(jwtVerify(token, jwks), joseErrors.JWKSNoMatchingKey);
  });

  it('foreign-key with a published kid: the signature fails', async () => {
    const keys = (await (await fetch(`${idp.issuer()}/v1/keys`)).json()) as { keys: { kid: string }[] };
    const kid = keys.keys[0]?.kid;
    const token = await idTokenWith({ signWith: 'foreign-key', header: { kid } });
    assert.equal(decodeJwtParts(token).header.kid, kid);
    await assert.rejects(jwtVerify(token, jwks), joseErrors.JWSSignatureVerificationFailed);
  });

  it('none: alg none, no signature', async () => {
    const token = await idTokenWith({ signWith: 'none' });
    assert.equal(decodeJwtParts(token).header.alg, 'none');
    assert.equal(token.split('.')[2], '');
  });

  it('hs256-client-secret: HS256 keyed with the client secret', async () => {
    const token = await idTokenWith({ signWith: 'hs256-client-secret' });
    assert.equal(decodeJwtParts(token).header.alg, 'HS256');
    const { payload } = await jwtVerify(token, new TextEncoder().encode(DEMO_CLIENT_SECRET));
    assert.equal(payload.aud, DEMO_CLIENT_ID);
  });

  it('openid-client refuses the tampered claims (a relying party check)', async () => {
    idp.switches.tamperNextIdToken = { claims: { nonce: 'not-the-nonce' } };
    await assert.rejects(signInAndExchange(idp, { username: 'alice@example.com' }), (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(error.message, /unexpected JWT claim value/);
      return true;
    });
    // The next sign-in is untouched.
    const { claims } = await signInAndExchange(idp, { username: 'alice@example.com' });
    assert.equal(claims.sub, '00ualice000000000001');
  });

  it('removeHeader and previous-key: a token without kid, signed by the replaced key the JWKS still publishes', async () => {
    await assert.rejects(idTokenWith({ signWith: 'previous-key' }), 'no rotation kept a previous key yet');
    const before = ((await (await fetch(`${idp.issuer()}/v1/keys`)).json()) as { keys: { kid: string }[] }).keys[0]?.kid;
    const kids = await idp.rotateSigningKey({ authServer: 'default', keepPrevious: true });
    const token = await idTokenWith({ signWith: 'previous-key', removeHeader: ['kid'] });
    const { header } = decodeJwtParts(token);
    assert.equal(header.kid, undefined);
    assert.equal(header.alg, 'RS256');
    const published = createLocalJWKSet((await (await fetch(`${idp.issuer()}/v1/keys`)).json()) as { keys: JWK[] });
    assert.equal(published.jwks().keys.length, 2);
    const previous = published.jwks().keys.find((key) => key.kid === before)!;
    const current = published.jwks().keys.find((key) => key.kid === kids.default)!;
    await jwtVerify(token, await importJWK(previous, 'RS256'));
    await assert.rejects(jwtVerify(token, await importJWK(current, 'RS256')), joseErrors.JWSSignatureVerificationFailed);
  });
});
