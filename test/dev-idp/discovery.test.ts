import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { demoSeed, startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint: string;
  end_session_endpoint: string;
  introspection_endpoint: string;
  revocation_endpoint: string;
  code_challenge_methods_supported: string[];
  authorization_response_iss_parameter_supported: boolean;
  response_types_supported: string[];
  scopes_supported: string[];
  id_token_signing_alg_values_supported: string[];
  token_endpoint_auth_methods_supported: string[];
}

describe('dev IdP discovery', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());

  const get = async (path: string) => {
    const res = await fetch(`${idp.origin}${path}`);
    assert.equal(res.status, 200, path);
    return (await res.json()) as Discovery;
  };

  it('the default custom server follows Okta paths, under both well-known names', async () => {
    const base = `${idp.origin}/oauth2/default`;
    assert.equal(idp.issuer(), base);
    assert.equal(idp.issuer('default'), base);
    for (const path of ['/oauth2/default/.well-known/openid-configuration', '/oauth2/default/.well-known/oauth-authorization-server']) {
      const doc = await get(path);
      assert.equal(doc.issuer, base);
      assert.equal(doc.authorization_endpoint, `${base}/v1/authorize`);
      assert.equal(doc.token_endpoint, `${base}/v1/token`);
      assert.equal(doc.jwks_uri, `${base}/v1/keys`);
      assert.equal(doc.userinfo_endpoint, `${base}/v1/userinfo`);
      assert.equal(doc.end_session_endpoint, `${base}/v1/logout`);
      assert.equal(doc.introspection_endpoint, `${base}/v1/introspect`);
      assert.equal(doc.revocation_endpoint, `${base}/v1/revoke`);
      assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
      assert.equal(doc.authorization_response_iss_parameter_supported, true);
      assert.deepEqual(doc.response_types_supported, ['code']);
      assert.deepEqual(doc.id_token_signing_alg_values_supported, ['RS256']);
      assert.ok(doc.scopes_supported.includes('offline_access'));
      assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    }
  });

  it('the org server is the origin with /oauth2/v1 endpoints', async () => {
    assert.equal(idp.issuer('org'), idp.origin);
    const doc = await get('/.well-known/openid-configuration');
    assert.equal(doc.issuer, idp.origin);
    assert.equal(doc.authorization_endpoint, `${idp.origin}/oauth2/v1/authorize`);
    assert.equal(doc.token_endpoint, `${idp.origin}/oauth2/v1/token`);
    assert.equal(doc.jwks_uri, `${idp.origin}/oauth2/v1/keys`);
    assert.equal(doc.userinfo_endpoint, `${idp.origin}/oauth2/v1/userinfo`);
    assert.equal(doc.end_session_endpoint, `${idp.origin}/oauth2/v1/logout`);
    assert.ok(doc.scopes_supported.includes('groups'));
  });

  it('serves other custom authorization servers from the seed, and refuses unknown ones', async () => {
    const multi = await startDevIdp({ port: 0, seed: { ...demoSeed, authorization_servers: ['default', 'aus1partners'] } });
    try {
      const res = await fetch(`${multi.origin}/oauth2/aus1partners/.well-known/openid-configuration`);
      const doc = (await res.json()) as Discovery;
      assert.equal(doc.issuer, `${multi.origin}/oauth2/aus1partners`);
      assert.equal(multi.issuer('aus1partners'), doc.issuer);
      assert.throws(() => multi.issuer('nope'), /unknown authorization server/);
      assert.equal((await fetch(`${multi.origin}/oauth2/nope/.well-known/openid-configuration`)).status, 404);
    } finally {
      await multi.close();
    }
  });

  it('has a small home page listing issuers and users', async () => {
    const res = await fetch(`${idp.origin}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    assert.ok(html.includes(idp.issuer('default')));
    assert.ok(html.includes('alice@example.com'));
    assert.ok(!html.includes('Passw0rd!'));
  });

  it('starts fast on an ephemeral port and closes cleanly, even with open keep-alive connections', async () => {
    const started = performance.now();
    const other = await startDevIdp({ port: 0 });
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `started in ${Math.round(elapsed)} ms`);
    assert.notEqual(other.origin, idp.origin);
    await (await fetch(`${other.origin}/.well-known/openid-configuration`)).arrayBuffer();
    await other.close();
    await other.close(); // idempotent
    await assert.rejects(fetch(`${other.origin}/.well-known/openid-configuration`));
  });

  it('reports a busy port as a GatehouseError', async () => {
    const port = Number(new URL(idp.origin).port);
    await assert.rejects(startDevIdp({ port }), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'GH-DEVIDP-LISTEN');
      return true;
    });
  });
});
