import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatehouseError } from '../../src/errors.js';
import {
  defaultOktaScopes,
  isOrgAuthorizationServer,
  oktaAuthorizationServer,
  oktaInitiateLoginIssuers,
  oktaIssuer,
  oktaOrgUrl,
} from '../../src/okta/issuer.js';

describe('Okta issuer derivation', () => {
  const table: Array<[domain: string, serverId: string | null | undefined, issuer: string]> = [
    ['dev-123.okta.com', undefined, 'https://dev-123.okta.com/oauth2/default'],
    ['dev-123.okta.com', null, 'https://dev-123.okta.com/oauth2/default'],
    ['dev-123.okta.com', 'default', 'https://dev-123.okta.com/oauth2/default'],
    ['https://dev-123.okta.com/', undefined, 'https://dev-123.okta.com/oauth2/default'],
    ['https://dev-123.okta.com', 'aus1a2b3c4d5e6f7g8h9', 'https://dev-123.okta.com/oauth2/aus1a2b3c4d5e6f7g8h9'],
    ['  DEV-123.Okta.com  ', ' default ', 'https://dev-123.okta.com/oauth2/default'],
    ['dev-123.okta.com', '', 'https://dev-123.okta.com'],
    ['dev-123.okta.com', 'org', 'https://dev-123.okta.com'],
    ['dev-123.okta.com', 'ORG', 'https://dev-123.okta.com'],
    ['https://dev-123.okta.com/', '', 'https://dev-123.okta.com'],
    ['login.example.com', undefined, 'https://login.example.com/oauth2/default'],
    ['dev-123.okta.com:8443', undefined, 'https://dev-123.okta.com:8443/oauth2/default'],
    ['127.0.0.1:9000', undefined, 'http://127.0.0.1:9000/oauth2/default'],
    ['127.0.0.1:9000', '', 'http://127.0.0.1:9000'],
    ['http://127.0.0.1:9000/', 'default', 'http://127.0.0.1:9000/oauth2/default'],
    ['localhost:9000', 'org', 'http://localhost:9000'],
    ['[::1]:9000', undefined, 'http://[::1]:9000/oauth2/default'],
    ['https://127.0.0.1:9443', undefined, 'https://127.0.0.1:9443/oauth2/default'],
  ];
  for (const [domain, serverId, issuer] of table) {
    it(`${JSON.stringify(domain)} + ${JSON.stringify(serverId)} → ${issuer}`, () => {
      assert.equal(oktaIssuer(domain, serverId), issuer);
    });
  }

  it('describes the authorization server, with the discovery URL and the org URL', () => {
    assert.deepEqual(oktaAuthorizationServer('dev-123.okta.com'), {
      kind: 'custom',
      id: 'default',
      orgUrl: 'https://dev-123.okta.com',
      issuer: 'https://dev-123.okta.com/oauth2/default',
      discoveryUrl: 'https://dev-123.okta.com/oauth2/default/.well-known/openid-configuration',
    });
    assert.deepEqual(oktaAuthorizationServer('https://dev-123.okta.com/', ''), {
      kind: 'org',
      id: null,
      orgUrl: 'https://dev-123.okta.com',
      issuer: 'https://dev-123.okta.com',
      discoveryUrl: 'https://dev-123.okta.com/.well-known/openid-configuration',
    });
  });

  it('gives the org URL whatever the authorization server', () => {
    assert.equal(oktaOrgUrl('dev-123.okta.com'), 'https://dev-123.okta.com');
    assert.equal(oktaOrgUrl('https://dev-123.okta.com/'), 'https://dev-123.okta.com');
    assert.equal(oktaOrgUrl('127.0.0.1:9000'), 'http://127.0.0.1:9000');
  });

  it('accepts both the org URL and the issuer as iss of Okta-initiated sign-in', () => {
    assert.deepEqual(oktaInitiateLoginIssuers('dev-123.okta.com'), ['https://dev-123.okta.com', 'https://dev-123.okta.com/oauth2/default']);
    assert.deepEqual(oktaInitiateLoginIssuers('dev-123.okta.com', 'org'), ['https://dev-123.okta.com']);
  });

  it('knows the org authorization server by an empty id or "org"', () => {
    assert.equal(isOrgAuthorizationServer(''), true);
    assert.equal(isOrgAuthorizationServer('org'), true);
    assert.equal(isOrgAuthorizationServer(undefined), false);
    assert.equal(isOrgAuthorizationServer(null), false);
    assert.equal(isOrgAuthorizationServer('default'), false);
  });

  it('asks for openid profile email, plus groups on the org server', () => {
    assert.deepEqual(defaultOktaScopes(), ['openid', 'profile', 'email']);
    assert.deepEqual(defaultOktaScopes('default'), ['openid', 'profile', 'email']);
    assert.deepEqual(defaultOktaScopes('aus1a2b3c4d5e6f7g8h9'), ['openid', 'profile', 'email']);
    assert.deepEqual(defaultOktaScopes(''), ['openid', 'profile', 'email', 'groups']);
    assert.deepEqual(defaultOktaScopes('org'), ['openid', 'profile', 'email', 'groups']);
  });

  const refused: Array<[domain: string, serverId: string | undefined, field: string, message: RegExp]> = [
    ['', undefined, 'okta_domain', /empty/],
    ['https://dev-123.okta.com/oauth2/default', undefined, 'okta_domain', /without a path: enter dev-123\.okta\.com and put default in authorization_server_id/],
    ['dev-123.okta.com/oauth2/v1/authorize', undefined, 'okta_domain', /org authorization server/],
    ['dev-123.okta.com/app', undefined, 'okta_domain', /without a path/],
    ['dev-123.okta.com?x=1', undefined, 'okta_domain', /query/],
    ['dev-123.okta.com/?', undefined, 'okta_domain', /query/],
    ['dev-123.okta.com#top', undefined, 'okta_domain', /fragment/],
    ['http://dev-123.okta.com', undefined, 'okta_domain', /https only: enter https:\/\/dev-123\.okta\.com/],
    ['ftp://dev-123.okta.com', undefined, 'okta_domain', /https address/],
    ['https://admin:pw@dev-123.okta.com', undefined, 'okta_domain', /user name or password/],
    ['dev-123-admin.okta.com', undefined, 'okta_domain', /Admin Console.*enter dev-123\.okta\.com/],
    ['exa mple.com', undefined, 'okta_domain', /not a domain name/],
    ['dev-123.okta.com', 'aus/../../x', 'authorization_server_id', /not an Okta authorization server id/],
    ['dev-123.okta.com', 'https://dev-123.okta.com/oauth2/aus123', 'authorization_server_id', /id only: enter aus123/],
  ];
  for (const [domain, serverId, field, message] of refused) {
    it(`refuses ${JSON.stringify(domain)} + ${JSON.stringify(serverId)} with a message that says what to enter`, () => {
      assert.throws(
        () => oktaIssuer(domain, serverId),
        (error: unknown) =>
          error instanceof GatehouseError &&
          error.code === (field === 'okta_domain' ? 'GH-OKTA-DOMAIN-INVALID' : 'GH-OKTA-AUTH-SERVER-INVALID') &&
          error.field === field &&
          error.status === 400 &&
          message.test(error.message),
      );
    });
  }

  it('refuses plain http on loopback too when the caller does not allow it', () => {
    assert.equal(oktaOrgUrl('127.0.0.1:9000', { allowHttpOnLoopback: false }), 'https://127.0.0.1:9000');
    assert.throws(() => oktaOrgUrl('http://127.0.0.1:9000', { allowHttpOnLoopback: false }), /https only/);
  });
});
