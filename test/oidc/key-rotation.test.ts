import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import type { TamperIdToken } from '../../src/dev-idp/index.js';
import { CookieJar, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { organizationSignIn, setUpOrganization } from '../sign-in/support.js';
import { PASSWORD, beginSignIn, protectRoute, signInThroughGateway, startStack, type Stack } from '../support/stack.js';

/**
 * OpenID Connect Core 10.1.1 end to end, with the production JWKS cool-down (30 s): the
 * stand-in rotates its signing key after Gatehouse downloaded the JWKS. ID tokens from
 * the token endpoint (a channel Gatehouse opened) fetch the keys again at once; tokens
 * that clients present fetch them at most once per cool-down. JWKS downloads are counted
 * at the stand-in.
 */

const hasSession = (response: Response, name = 'session') =>
  response.headers.getSetCookie().some((value) => value.startsWith(`${name}=`) && !/max-age=0/i.test(value));

describe('provider key rotation', () => {
  let stack: Stack;
  let jwksPath: string;
  const jwksDownloads = () => stack.idpRequests.filter((path) => path === jwksPath).length;

  before(async () => {
    stack = await startStack({ jwksCooldownMs: 30_000 });
    jwksPath = `${new URL(stack.idp.issuer('default')).pathname}/v1/keys`;
    await protectRoute(stack, { auth_methods: ['authorization_code', 'session', 'bearer'] });
    await setUpOrganization(stack, { loginPath: 'acme', mappings: [['service_admin', 'Gateway Admin']] });
  });
  after(() => stack.close());
  beforeEach(() => stack.idp.resetSwitches());

  /** Bearer tokens anyone can make: a key the provider never had, under the given kid (or none). */
  const forger = generateKeyPair('RS256');
  async function hostileBearer(kid: string | undefined): Promise<Response> {
    const { privateKey } = await forger;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ scp: ['openid'] })
      .setProtectedHeader(kid === undefined ? { alg: 'RS256' } : { alg: 'RS256', kid })
      .setIssuer(stack.idp.issuer('default'))
      .setSubject('mallory@example.com')
      .setAudience('api://default')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    return fetch(`${stack.proxy}/api/x`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  }

  /**
   * Keys held and a cool-down running, whatever ran before: a hostile token downloads
   * the keys unless a cool-down is running already.
   */
  async function coolingDown(): Promise<void> {
    assert.equal((await hostileBearer('unknown-first')).status, 401);
  }

  async function signInWith(tamper: TamperIdToken): Promise<Response> {
    const { jar, callbackUrl } = await beginSignIn(stack);
    stack.idp.switches.tamperNextIdToken = tamper;
    const response = await browserFetch(jar, callbackUrl);
    assert.equal(stack.idp.switches.tamperNextIdToken, undefined, 'the stand-in used the tampered token');
    return response;
  }

  it('downloads the JWKS at most once per cool-down for bearer tokens with unknown kids', async () => {
    // Gatehouse holds no keys yet (the organization's connection test downloaded its own copy).
    const before = jwksDownloads();
    for (let i = 0; i < 8; i += 1) {
      const response = await hostileBearer(`unknown-${i}`);
      assert.equal(response.status, 401);
      assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
    assert.equal(jwksDownloads(), before + 1, 'the first token found no keys held; the others waited for the cool-down');
  });

  it('signs in at once with a key published after the last download: a plugin route, then an organization', async () => {
    await coolingDown();
    const before = jwksDownloads();
    const first = await signInThroughGateway(stack);
    assert.equal(first.callback.status, 302);
    assert.equal(jwksDownloads(), before, 'the keys held verify the first sign-in');

    await stack.idp.rotateSigningKey({ authServer: 'default' });
    // Still within the cool-down the hostile tokens started: only the token endpoint's origin lets this through.
    const plugin = await signInThroughGateway(stack);
    assert.equal(plugin.callback.status, 302);
    assert.ok(hasSession(plugin.callback), 'a token signed with the new key is accepted at once');
    assert.equal(jwksDownloads(), before + 1);
    assert.equal((await browserFetch(plugin.jar, `${stack.proxy}/api/x`)).status, 200);

    await stack.idp.rotateSigningKey({ authServer: 'default' });
    const organization = await organizationSignIn(stack, 'acme', 'alice@example.com');
    assert.equal(organization.callback.status, 302, `the organization sign-in succeeds, got ${organization.callback.status}`);
    assert.ok(hasSession(organization.callback, 'gatehouse_session'));
    assert.equal(jwksDownloads(), before + 2);
  });

  /** An organization sign-in up to the callback, which the test sends when it wants. */
  async function beginOrganizationSignIn() {
    const jar = new CookieJar();
    const start = await browserFetch(jar, `${stack.proxy}/login/acme`);
    assert.equal(start.status, 302);
    const { callbackUrl } = await signIn({
      authorizeUrl: new URL(start.headers.get('location')!),
      username: 'alice@example.com',
      password: PASSWORD,
      jar,
      isCallback: (url) => url.origin === stack.proxy,
    });
    return { jar, callbackUrl };
  }

  it('downloads the JWKS once for concurrent callbacks that all carry the new key, plugin and organization alike', async () => {
    await stack.idp.rotateSigningKey({ authServer: 'default' });
    const plugin = await Promise.all([1, 2, 3, 4].map(() => beginSignIn(stack)));
    const organization = await Promise.all([1, 2].map(() => beginOrganizationSignIn()));
    const before = jwksDownloads();
    const answers = await Promise.all([...plugin, ...organization].map(({ jar, callbackUrl }) => browserFetch(jar, callbackUrl)));
    answers.forEach((answer, index) => {
      assert.equal(answer.status, 302);
      assert.ok(hasSession(answer, index < plugin.length ? 'session' : 'gatehouse_session'));
    });
    assert.equal(jwksDownloads(), before + 1, 'one download for every callback of the issuer');
  });

  it('still refuses hostile bearer tokens without a download while the keys are cooling down', async () => {
    await coolingDown();
    const before = jwksDownloads();
    for (const kid of ['again-1', 'again-2', undefined]) assert.equal((await hostileBearer(kid)).status, 401);
    assert.equal(jwksDownloads(), before);
  });

  it('verifies an ID token without kid against every key of its algorithm', async () => {
    await stack.idp.rotateSigningKey({ authServer: 'default', keepPrevious: true });
    // A sign-in with the new key downloads the set with both keys.
    assert.equal((await signInThroughGateway(stack)).callback.status, 302);
    const held = jwksDownloads();

    const byReplacedKey = await signInWith({ signWith: 'previous-key', removeHeader: ['kid'] });
    assert.equal(byReplacedKey.status, 302, 'the second key of the set verifies it');
    assert.ok(hasSession(byReplacedKey));
    const byCurrentKey = await signInWith({ signWith: 'own-key', removeHeader: ['kid'] });
    assert.equal(byCurrentKey.status, 302);
    assert.equal(jwksDownloads(), held, 'the keys held were enough');
  });

  it('downloads once more before refusing an ID token that no key verifies, with or without kid', async () => {
    let before = jwksDownloads();
    const withoutKid = await signInWith({ signWith: 'foreign-key', removeHeader: ['kid'] });
    assert.equal(withoutKid.status, 401);
    assert.equal(hasSession(withoutKid), false);
    assert.equal(jwksDownloads(), before + 1);

    before = jwksDownloads();
    const unknownKid = await signInWith({ signWith: 'foreign-key' });
    assert.equal(unknownKid.status, 401);
    assert.equal(jwksDownloads(), before + 1);
  });

  it('never writes tokens to the log', () => {
    assert.doesNotMatch(stack.logs.join(''), /eyJ[\w-]+\.eyJ[\w-]+\./);
  });
});
