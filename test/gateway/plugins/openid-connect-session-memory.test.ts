import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { CookieJar, browserFetch } from '../../../testkit/browser-flow.js';
import type { OidcSession } from '../../../src/gateway/plugins/openid-connect/session-record.js';
import { stopClock } from '../../support/clock.js';
import { protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/**
 * Sessions the memory tier has packed leave the ID token to the SQLite store (see
 * session-packing.ts). These tests keep one record unpacked (`sessionsInUse: 1`), so a
 * second sign-in packs the first, and check over HTTP that nothing that needs the ID
 * token goes without it. The packing's "keep ID tokens" switch is per process and never
 * turns off, so the route that sends ID tokens upstream comes last.
 */

interface Echo {
  headers: Record<string, string>;
}

/** The session's id, opened from the browser's cookie with the gateway's own key ring. */
async function sessionKey(stack: Stack, jar: CookieJar): Promise<string> {
  const cookie = /(?:^|; )session=([^;]+)/.exec(jar.header(new URL(stack.proxy)) ?? '')?.[1];
  assert.ok(cookie, 'signed in: the browser has a session cookie');
  const claims = await stack.gatehouse.keyRing.unseal(cookie);
  assert.equal(typeof claims?.sid, 'string');
  return `sess:${String(claims!.sid)}`;
}

/**
 * The memory copy, as the plugin would get it: unpacked if it was packed, which makes it
 * the one record in use (`sessionsInUse: 1`); the one that was is packed on the next turn.
 */
function memoryCopy(stack: Stack, key: string): OidcSession {
  const copy = stack.gatehouse.sessions.peek<OidcSession>(key);
  assert.ok(copy, 'the session is in memory');
  return copy;
}

/**
 * Uses `key`'s record, so that it is the one kept unpacked; the record that was is
 * packed on the next turn of the event loop.
 */
async function useAlone(stack: Stack, key: string): Promise<void> {
  memoryCopy(stack, key);
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The record in the database; its whole copy replaces the one in memory. */
async function storedRecord(stack: Stack, key: string): Promise<OidcSession> {
  const stored = await stack.gatehouse.sessions.get<OidcSession>(key, { fresh: true });
  assert.ok(stored, 'the session is in the database');
  return stored;
}

describe('openid-connect: packed sessions without their ID token', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ sessionsInUse: 1 });
    await protectRoute(stack, {
      auth_methods: ['authorization_code', 'session'],
      upstream_headers_claims: ['name'],
      upstream_headers_names: ['x-user-name'],
      logout_uri_suffix: '/logout',
      logout_redirect_uri: `${stack.proxy}/signed-out`,
      // The idle clock is written back after a quarter of this: one second.
      session_idling_timeout: 4,
    });
  });
  after(() => stack.close());

  it('serves them from their claims, writes the idle clock back whole, and signs out with the stored ID token', async (t) => {
    const clock = stopClock(t);
    const alice = await signInThroughGateway(stack, '/api', 'alice@example.com');
    const aliceKey = await sessionKey(stack, alice.jar);
    const idToken = (await storedRecord(stack, aliceKey)).tokens.id_token;
    assert.equal(decodeJwt(idToken!).sub !== undefined, true, 'the store has the ID token');
    const bob = await signInThroughGateway(stack, '/api', 'bob@example.com');
    const bobKey = await sessionKey(stack, bob.jar);

    // Bob's sign-in pushed Alice's record out of the one kept unpacked.
    const packed = memoryCopy(stack, aliceKey);
    assert.equal(packed.tokens.id_token, undefined, 'the packed copy left the ID token out');
    assert.equal(packed.tokens.id_token_in_store, true);
    assert.equal(packed.id_claims.name, 'Alice Admin', 'its claims are all there');

    await useAlone(stack, bobKey); // packs Alice's again
    const echo = (await (await browserFetch(alice.jar, `${stack.proxy}/api`)).json()) as Echo;
    assert.equal(echo.headers['x-user-name'], 'Alice Admin', 'a claim of the ID token reached the upstream');

    // Past the slack, a request writes the idle clock: the stored record keeps its ID token.
    clock.advance(1100);
    const before = (await storedRecord(stack, aliceKey)).last_seen;
    await useAlone(stack, bobKey); // reading the store above put the whole record in memory: packed again
    assert.equal(memoryCopy(stack, aliceKey).tokens.id_token_in_store, true);
    await useAlone(stack, bobKey);
    assert.equal((await browserFetch(alice.jar, `${stack.proxy}/api`)).status, 200);
    const written = await storedRecord(stack, aliceKey);
    assert.ok(written.last_seen > before, 'the idle clock was written');
    assert.equal(written.tokens.id_token, idToken);
    assert.equal(written.tokens.id_token_in_store, undefined);

    await useAlone(stack, bobKey);
    assert.equal(memoryCopy(stack, aliceKey).tokens.id_token_in_store, true, 'packed again before signing out');
    await useAlone(stack, bobKey);
    const logout = await browserFetch(alice.jar, `${stack.proxy}/api/logout`, { method: 'POST' });
    assert.equal(logout.status, 302);
    const location = new URL(logout.headers.get('location')!);
    assert.equal(`${location.origin}${location.pathname}`, `${stack.idp.issuer('default')}/v1/logout`);
    assert.equal(location.searchParams.get('id_token_hint'), idToken, 'the hint is the ID token from the store');
    const back = await browserFetch(alice.jar, location);
    assert.equal(back.status, 302, 'the provider accepted the hint');
    assert.equal(back.headers.get('location')?.startsWith(`${stack.proxy}/signed-out`), true);
    assert.equal((await browserFetch(bob.jar, `${stack.proxy}/api`)).status, 200, 'Bob is still signed in');
  });
});

describe('openid-connect: a route that sends the ID token upstream', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack({ sessionsInUse: 1 });
    await protectRoute(stack, { auth_methods: ['authorization_code', 'session'] });
  });
  after(() => stack.close());

  it('reads a packed session’s ID token from the store once, and from then on keeps it in memory', async () => {
    const alice = await signInThroughGateway(stack, '/api', 'alice@example.com');
    const aliceKey = await sessionKey(stack, alice.jar);
    const idToken = (await storedRecord(stack, aliceKey)).tokens.id_token;
    const bob = await signInThroughGateway(stack, '/api', 'bob@example.com');
    const bobKey = await sessionKey(stack, bob.jar);
    assert.equal(memoryCopy(stack, aliceKey).tokens.id_token_in_store, true, 'packed without it while no route wanted it');
    await useAlone(stack, bobKey);

    // The same sessions (cookie, issuer, client) on a route that sends the ID token on.
    await protectRoute(stack, { auth_methods: ['session'], upstream_id_token_header: 'x-id-token' }, { name: 'with-id-token', paths: ['/idt'] });
    const echo = (await (await browserFetch(alice.jar, `${stack.proxy}/idt`)).json()) as Echo;
    assert.equal(echo.headers['x-id-token'], idToken);

    await useAlone(stack, bobKey); // packs Alice's record again, now with its ID token
    assert.equal(memoryCopy(stack, aliceKey).tokens.id_token, idToken);
    await useAlone(stack, bobKey);
    const again = (await (await browserFetch(alice.jar, `${stack.proxy}/idt`)).json()) as Echo;
    assert.equal(again.headers['x-id-token'], idToken);
  });
});
