import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as client from 'openid-client';
import { signInAndExchange } from '../../dev-idp/oidc-client.js';
import { CookieJar, browserFetch } from '../../../testkit/browser-flow.js';
import { CLIENT_ID, CLIENT_SECRET, protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/** Consumer mapping, credentials, groups for `acl`, upstream headers, logout and restarts, end to end. */

interface Echo {
  headers: Record<string, string>;
}

const API = { accept: 'application/json' };

async function accessToken(stack: Stack, username: string): Promise<string> {
  const { tokens } = await signInAndExchange(stack.idp, { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, username });
  return tokens.access_token;
}


describe('openid-connect: consumers and credentials', () => {
  let stack: Stack;
  let alice: string;
  let bob: string;
  let aliceConsumer: { id: string };

  before(async () => {
    stack = await startStack();
    aliceConsumer = await stack.adminCall('POST', '/consumers', { username: 'alice@example.com', custom_id: 'alice-42' });
    await stack.adminCall('POST', '/consumers', { username: 'anonymous-user' });
    await protectRoute(stack, { auth_methods: ['bearer'], consumer_claim: 'sub', consumer_by: ['username'] }, { name: 'mapped', paths: ['/mapped'] });
    await protectRoute(
      stack,
      { auth_methods: ['bearer'], consumer_claim: 'sub', consumer_optional: true, credential_claim: 'uid' },
      { name: 'optional', paths: ['/optional'] },
    );
    await protectRoute(stack, { auth_methods: ['bearer'], anonymous: 'anonymous-user' }, { name: 'anon', paths: ['/anon'] });
    alice = await accessToken(stack, 'alice@example.com');
    bob = await accessToken(stack, 'bob@example.com');
  });
  after(() => stack.close());

  it('maps the consumer_claim to a consumer and sets Kong’s consumer headers', async () => {
    const response = await fetch(`${stack.proxy}/mapped/x`, { headers: { ...API, authorization: `Bearer ${alice}` } });
    assert.equal(response.status, 200);
    const { headers } = (await response.json()) as Echo;
    assert.equal(headers['x-consumer-id'], aliceConsumer.id);
    assert.equal(headers['x-consumer-username'], 'alice@example.com');
    assert.equal(headers['x-consumer-custom-id'], 'alice-42');
    assert.equal(headers['x-credential-identifier'], 'alice@example.com');
    assert.equal(headers['x-anonymous-consumer'], undefined);
  });

  it('leaves out a consumer name stored before the name rule (CR LF in custom_id) instead of failing the request', async () => {
    // The Admin API refuses such a value now (test/admin/names.test.ts); an older database may still hold one.
    await stack.gatehouse.db.updateTable('consumers').set({ custom_id: 'alice\r\nX-Injected: 1' }).where('id', '=', aliceConsumer.id).execute();
    await stack.gatehouse.reload();
    try {
      const response = await fetch(`${stack.proxy}/mapped/x`, { headers: { ...API, authorization: `Bearer ${alice}`, 'x-consumer-custom-id': 'forged' } });
      assert.equal(response.status, 200);
      const { headers } = (await response.json()) as Echo;
      assert.equal(headers['x-consumer-id'], aliceConsumer.id);
      assert.equal(headers['x-consumer-username'], 'alice@example.com');
      assert.equal(headers['x-consumer-custom-id'], undefined, 'neither the stored value nor the client’s');
      assert.equal(headers['x-injected'], undefined);
      assert.ok(
        stack.logs.some((line) => line.includes(aliceConsumer.id) && line.includes('custom_id breaks the name rules')),
        'the log names the consumer to correct',
      );
    } finally {
      await stack.gatehouse.db.updateTable('consumers').set({ custom_id: 'alice-42' }).where('id', '=', aliceConsumer.id).execute();
      await stack.gatehouse.reload();
    }
  });

  it('refuses a token that maps to no consumer unless consumer_optional is set', async () => {
    assert.equal((await fetch(`${stack.proxy}/mapped/x`, { headers: { ...API, authorization: `Bearer ${bob}` } })).status, 403);
    const response = await fetch(`${stack.proxy}/optional/x`, {
      headers: { ...API, authorization: `Bearer ${bob}`, 'x-consumer-id': 'forged', 'x-anonymous-consumer': 'true' },
    });
    assert.equal(response.status, 200);
    const { headers } = (await response.json()) as Echo;
    assert.equal(headers['x-consumer-id'], undefined, 'a client cannot set consumer headers itself');
    assert.equal(headers['x-anonymous-consumer'], undefined);
    assert.equal(headers['x-credential-identifier'], '00ubob00000000000002', 'credential_claim=uid');
  });

  it('answers a token that maps to no consumer with GH-PLUGIN-FORBIDDEN', async () => {
    const response = await fetch(`${stack.proxy}/mapped/x`, { headers: { ...API, authorization: `Bearer ${bob}` } });
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { message: 'Forbidden', error_code: 'GH-PLUGIN-FORBIDDEN' });
  });

  it('lets unauthenticated requests through as the anonymous consumer', async () => {
    const response = await fetch(`${stack.proxy}/anon/x`, { headers: API });
    assert.equal(response.status, 200);
    const { headers } = (await response.json()) as Echo;
    assert.equal(headers['x-anonymous-consumer'], 'true');
    assert.equal(headers['x-consumer-username'], 'anonymous-user');
    const authenticated = (await (await fetch(`${stack.proxy}/anon/x`, { headers: { ...API, authorization: `Bearer ${alice}` } })).json()) as Echo;
    assert.equal(authenticated.headers['x-anonymous-consumer'], undefined);
  });
});

describe('openid-connect: groups, acl and upstream headers', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(
      stack,
      {
        auth_methods: ['authorization_code'],
        // The stand-in's default server sends the groups claim for the groups scope only.
        scopes: ['openid', 'email', 'profile', 'groups'],
        authenticated_groups_claim: 'groups',
        upstream_headers_claims: ['email'],
        upstream_headers_names: ['X-User-Email'],
        upstream_id_token_header: 'X-Id-Token',
        upstream_user_info_header: 'X-Userinfo',
      },
      { name: 'team', paths: ['/team'] },
    );
    await stack.adminCall('POST', '/routes/team/plugins', { name: 'acl', config: { allow: ['service_admin'] } });
    await protectRoute(stack, { auth_methods: ['authorization_code'], scopes: ['openid', 'email', 'profile', 'groups'], groups_required: ['service_admin', 'auditors viewers'] }, { name: 'grouped', paths: ['/grouped'] });
  });
  after(() => stack.close());

  it('feeds the groups claim to acl: a member passes with X-Authenticated-Groups, others get 403', async () => {
    const { jar } = await signInThroughGateway(stack, '/team', 'alice@example.com');
    const response = await browserFetch(jar, `${stack.proxy}/team`);
    assert.equal(response.status, 200);
    const { headers } = (await response.json()) as Echo;
    assert.match(headers['x-authenticated-groups'] ?? '', /service_admin/);
    assert.equal(headers['x-user-email'], 'alice@example.com');
    const idToken = headers['x-id-token']!;
    assert.equal(JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).sub, '00ualice000000000001');
    const userinfo = JSON.parse(Buffer.from(headers['x-userinfo']!, 'base64url').toString());
    assert.equal(userinfo.sub, '00ualice000000000001');

    const bob = await signInThroughGateway(stack, '/team', 'bob@example.com');
    assert.equal((await browserFetch(bob.jar, `${stack.proxy}/team`)).status, 403);
  });

  it('answers acl refusals with Kong’s messages and their error codes', async () => {
    const bob = await signInThroughGateway(stack, '/team', 'bob@example.com');
    const denied = await fetch(`${stack.proxy}/team`, { headers: { ...API, cookie: bob.jar.header(new URL(stack.proxy))! } });
    assert.equal(denied.status, 403);
    assert.deepEqual(await denied.json(), { message: 'You cannot consume this service', error_code: 'GH-PLUGIN-FORBIDDEN' });

    // acl without an authentication plugin before it: nobody is authenticated.
    await stack.adminCall('PUT', '/routes/acl-only', { paths: ['/acl-only'], service: { name: 'echo' } });
    await stack.adminCall('POST', '/routes/acl-only/plugins', { name: 'acl', config: { allow: ['service_admin'] } });
    const anonymous = await fetch(`${stack.proxy}/acl-only`, { headers: API });
    assert.equal(anonymous.status, 401);
    assert.deepEqual(await anonymous.json(), { message: 'Unauthorized', error_code: 'GH-PLUGIN-UNAUTHORIZED' });
  });

  it('checks groups_required: entries are alternatives, spaces inside one join', async () => {
    const alice = await signInThroughGateway(stack, '/grouped', 'alice@example.com');
    assert.equal((await browserFetch(alice.jar, `${stack.proxy}/grouped`)).status, 200);
    const bob = await signInThroughGateway(stack, '/grouped', 'bob@example.com');
    const denied = await fetch(`${stack.proxy}/grouped`, { headers: { ...API, cookie: bob.jar.header(new URL(stack.proxy))! } });
    assert.equal(denied.status, 403);
  });
});

describe('openid-connect: logout and restarts', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, {
      auth_methods: ['authorization_code'],
      logout_uri_suffix: '/logout',
      logout_redirect_uri: `${stack.proxy}/signed-out`,
      logout_revoke: true,
    });
  });
  after(() => stack.close());

  it('keeps configuration and sessions across a restart on the same database', async () => {
    const { jar } = await signInThroughGateway(stack, '/api', 'alice@example.com');
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200);
    await stack.restart();
    assert.equal((await browserFetch(jar, `${stack.proxy}/api`)).status, 200, 'the session survived the restart');
    const fresh = await browserFetch(new CookieJar(), `${stack.proxy}/api`);
    assert.equal(fresh.status, 302, 'the route is still protected');
  });

  it('ends the session, revokes the tokens and continues at the provider’s end-session endpoint', async () => {
    const { jar } = await signInThroughGateway(stack, '/api', 'alice@example.com');
    const before = (await (await browserFetch(jar, `${stack.proxy}/api`)).json()) as Echo;
    const accessToken = before.headers.authorization!.replace('Bearer ', '');

    // GET is not a logout method by default (Kong: POST and DELETE): it is proxied.
    assert.equal((await browserFetch(jar, `${stack.proxy}/api/logout`)).status, 200);

    const logout = await browserFetch(jar, `${stack.proxy}/api/logout`, { method: 'POST' });
    assert.equal(logout.status, 302);
    const location = new URL(logout.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${stack.idp.issuer('default')}/v1/logout`);
    assert.ok(location.searchParams.get('id_token_hint'));
    assert.equal(location.searchParams.get('post_logout_redirect_uri'), `${stack.proxy}/signed-out`);
    const back = await browserFetch(jar, location);
    assert.equal(back.status, 302);
    assert.equal(back.headers.get('location')?.startsWith(`${stack.proxy}/signed-out`), true);

    const after = await browserFetch(jar, `${stack.proxy}/api`);
    assert.equal(after.status, 302, 'signed out: sent to sign in again');
    const config = await client.discovery(new URL(stack.idp.issuer('default')), CLIENT_ID, CLIENT_SECRET, undefined, {
      execute: [client.allowInsecureRequests],
    });
    const introspection = await client.tokenIntrospection(config, accessToken);
    assert.equal(introspection.active, false, 'logout_revoke revoked the access token');
  });
});
