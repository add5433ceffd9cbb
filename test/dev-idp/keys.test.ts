import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { decodeJwtParts, signInAndExchange } from './oidc-client.js';

interface Jwks {
  keys: { kid: string; kty: string; alg: string; use: string; n: string; e: string; d?: string }[];
}

describe('dev IdP signing keys', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());

  const jwks = async (authServer = 'default'): Promise<Jwks> => {
    const path = authServer === 'org' ? '/oauth2/v1/keys' : '/v1/keys';
    return (await fetch(`${idp.issuer(authServer)}${path}`)).json() as Promise<Jwks>;
  };

  it('publishes one public RS256 key per authorization server, different per server', async () => {
    const custom = await jwks('default');
    const org = await jwks('org');
    assert.equal(custom.keys.length, 1);
    const key = custom.keys[0];
    assert.equal(key?.kty, 'RSA');
    assert.equal(key?.alg, 'RS256');
    assert.equal(key?.use, 'sig');
    assert.equal(key?.d, undefined, 'no private parts');
    assert.notEqual(org.keys[0]?.kid, key?.kid);
  });

  it('rotateSigningKey: a new kid in JWKS and in new ID tokens; old access tokens still work at userinfo', async () => {
    const before = await signInAndExchange(idp, { username: 'alice@example.com' });
    const oldKid = decodeJwtParts(before.tokens.id_token ?? '').header.kid;
    assert.equal((await jwks()).keys[0]?.kid, oldKid);

    const kids = await idp.rotateSigningKey();
    assert.equal(typeof kids.default, 'string');
    assert.equal(typeof kids.org, 'string');
    assert.notEqual(kids.default, oldKid);

    const published = await jwks();
    assert.deepEqual(published.keys.map((key) => key.kid), [kids.default], 'the old key is no longer published');

    // openid-client validates the new ID token (fetching JWKS is not even needed for code flow, but the kid must be the new one).
    const after = await signInAndExchange(idp, { username: 'alice@example.com' });
    assert.equal(decodeJwtParts(after.tokens.id_token ?? '').header.kid, kids.default);
    assert.equal(decodeJwtParts(after.tokens.access_token).header.kid, kids.default);

    const info = await client.fetchUserInfo(before.config, before.tokens.access_token, before.claims.sub);
    assert.equal(info.sub, before.claims.sub);
  });

  it('keepPrevious publishes the new key and the replaced one; a single server can be rotated', async () => {
    const previous = (await jwks('org')).keys[0]?.kid;
    const defaultBefore = (await jwks('default')).keys.map((key) => key.kid);
    const kids = await idp.rotateSigningKey({ authServer: 'org', keepPrevious: true });
    assert.deepEqual(Object.keys(kids), ['org']);
    assert.deepEqual((await jwks('org')).keys.map((key) => key.kid), [kids.org, previous]);
    assert.deepEqual((await jwks('default')).keys.map((key) => key.kid), defaultBefore);
    await assert.rejects(idp.rotateSigningKey({ authServer: 'nope' }), /unknown authorization server/);
  });

  it('keeps sessions across a rotation (the provider is rebuilt, its storage is not)', async () => {
    const first = await signInAndExchange(idp, { username: 'bob@example.com' });
    await idp.rotateSigningKey();
    const config = first.config;
    const { buildAuthorization, exchangeCode } = await import('./oidc-client.js');
    const { authorizeWithSession } = await import('../../testkit/browser-flow.js');
    const request = await buildAuthorization(config);
    const { callbackUrl, signInFormShown } = await authorizeWithSession({ authorizeUrl: request.url, jar: first.jar });
    assert.equal(signInFormShown, false);
    const tokens = await exchangeCode(config, request, callbackUrl);
    assert.equal(tokens.claims()?.sub, '00ubob00000000000002');
  });
});
