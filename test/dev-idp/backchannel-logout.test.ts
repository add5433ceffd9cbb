import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { BACKCHANNEL_LOGOUT_EVENT, demoSeed, parseSeed, SeedError, startDevIdp, type DevIdp, type DevIdpSeed } from '../../src/dev-idp/index.js';
import { browserFetch, CookieJar, signIn } from '../../testkit/browser-flow.js';
import { buildAuthorization, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PASSWORD, DEMO_REDIRECT_URI, discover, exchangeCode } from './oidc-client.js';

/**
 * OpenID Connect Back-Channel Logout 1.0 at the stand-in: ID tokens name the sign-in
 * session (`sid`), and when the session ends the clients that got tokens in it receive a
 * signed logout token at their registered `backchannel_logout_uri`.
 */

const ALICE_ID = '00ualice000000000001';
const BOB_ID = '00ubob00000000000002';
const SECOND_ID = 'second-app';
const SECOND_SECRET = 'second-app-secret';
const SECOND_REDIRECT = 'http://localhost:8000/second/callback';
const SILENT_ID = 'silent-app';

interface Delivery {
  path: string;
  contentType: string | undefined;
  form: URLSearchParams;
}

/** A relying party's back-channel endpoint: records every POST; `/down` answers 500. */
async function startReceiver(): Promise<{ url: string; deliveries: Delivery[]; close(): Promise<void> }> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ path: req.url ?? '', contentType: req.headers['content-type'], form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) });
      res.writeHead(req.url === '/down' ? 500 : 200, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    deliveries,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

describe('dev IdP back-channel logout', () => {
  let idp: DevIdp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  before(async () => {
    receiver = await startReceiver();
    const demo = demoSeed.clients?.[0];
    assert.ok(demo);
    const seed: DevIdpSeed = {
      ...demoSeed,
      clients: [
        { ...demo, backchannel_logout_uri: `${receiver.url}/demo`, backchannel_logout_session_required: true },
        { client_id: SECOND_ID, client_secret: SECOND_SECRET, redirect_uris: [SECOND_REDIRECT], backchannel_logout_uri: `${receiver.url}/second` },
        // Registered for back-channel logout, but nobody signs in to it: it must hear nothing.
        { client_id: SILENT_ID, client_secret: 'silent-secret', redirect_uris: ['http://localhost:8000/silent/callback'], backchannel_logout_uri: `${receiver.url}/silent` },
      ],
    };
    idp = await startDevIdp({ port: 0, seed });
  });
  after(async () => {
    await idp.close();
    await receiver.close();
  });
  beforeEach(() => {
    idp.resetSwitches();
    receiver.deliveries.length = 0;
  });

  /** A relying party's code flow in the browser of `jar` (signs in through the form when the session asks). */
  async function tokensFor(jar: CookieJar, options: { clientId?: string; authServer?: string; username?: string; extra?: Record<string, string> } = {}) {
    const second = options.clientId === SECOND_ID;
    const config = await discover(idp, {
      authServer: options.authServer ?? 'default',
      clientId: options.clientId ?? DEMO_CLIENT_ID,
      clientSecret: second ? SECOND_SECRET : DEMO_CLIENT_SECRET,
    });
    const request = await buildAuthorization(config, { redirectUri: second ? SECOND_REDIRECT : DEMO_REDIRECT_URI, ...(options.extra ? { extra: options.extra } : {}) });
    const { callbackUrl } = await signIn({ authorizeUrl: request.url, username: options.username ?? 'alice@example.com', password: DEMO_PASSWORD, jar });
    const tokens = await exchangeCode(config, request, callbackUrl);
    const claims = tokens.claims();
    assert.ok(claims);
    return { tokens, claims, config };
  }

  const logout = (jar: CookieJar, idToken: string, authServer = 'default') => {
    const url = new URL(`${idp.issuer(authServer)}/v1/logout`);
    url.searchParams.set('id_token_hint', idToken);
    return browserFetch(jar, url);
  };

  /** Verifies a logout token the way a relying party must (Back-Channel Logout 1.0 section 2.6). */
  async function verifyLogoutToken(token: string, options: { authServer?: string; clientId: string }) {
    const config = await discover(idp, { authServer: options.authServer ?? 'default' });
    const keys = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri ?? ''));
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: idp.issuer(options.authServer ?? 'default'),
      audience: options.clientId,
      algorithms: ['RS256'],
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'exp', 'jti', 'events'],
    });
    assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
    assert.equal('nonce' in payload, false);
    return { payload, protectedHeader };
  }

  it('ID tokens carry the sign-in session id: the same for every client of the session, new for a new session', async () => {
    const jar = new CookieJar();
    const demo = await tokensFor(jar);
    const second = await tokensFor(jar, { clientId: SECOND_ID });
    assert.equal(typeof demo.claims.sid, 'string');
    assert.equal(second.claims.sid, demo.claims.sid, 'one sign-in session, one sid');

    const again = await tokensFor(jar, { extra: { prompt: 'login' } });
    assert.equal(again.claims.sid, demo.claims.sid, 'signing in again in the same session keeps it');

    const other = await tokensFor(new CookieJar());
    assert.notEqual(other.claims.sid, demo.claims.sid, 'another browser, another session');

    const config = await discover(idp, { authServer: 'default' });
    const metadata = config.serverMetadata() as Record<string, unknown>;
    assert.equal(metadata.backchannel_logout_supported, true);
    assert.equal(metadata.backchannel_logout_session_supported, true);
  });

  it('/v1/logout POSTs a valid logout token to each client that got tokens in the session, before redirecting', async () => {
    const jar = new CookieJar();
    const demo = await tokensFor(jar);
    await tokensFor(jar, { clientId: SECOND_ID });
    const kid = decodeProtectedHeader(demo.tokens.id_token ?? '').kid;

    const response = await logout(jar, demo.tokens.id_token ?? '');
    assert.equal(response.status, 302);
    assert.deepEqual(receiver.deliveries.map((delivery) => delivery.path).sort(), ['/demo', '/second'], 'not the client nobody signed in to');

    for (const [path, clientId] of [['/demo', DEMO_CLIENT_ID], ['/second', SECOND_ID]] as const) {
      const delivery = receiver.deliveries.find((candidate) => candidate.path === path);
      assert.ok(delivery);
      assert.equal(delivery.contentType, 'application/x-www-form-urlencoded');
      const token = delivery.form.get('logout_token');
      assert.ok(token, 'a logout_token form field');
      const { payload, protectedHeader } = await verifyLogoutToken(token, { clientId });
      assert.equal(protectedHeader.kid, kid, 'the key that signed the ID tokens');
      assert.equal(payload.aud, clientId);
      assert.equal(payload.sub, ALICE_ID);
      assert.equal(payload.sid, demo.claims.sid, 'the sid of the session\'s ID tokens');
      assert.equal(typeof payload.jti, 'string');
      assert.ok(Math.abs((payload.iat ?? 0) - Date.now() / 1000) < 10);
    }
    const [first, other] = receiver.deliveries;
    assert.notEqual(first?.form.get('logout_token'), other?.form.get('logout_token'));

    // The session is over: nobody is told twice, and a second logout sends nothing.
    receiver.deliveries.length = 0;
    assert.equal((await logout(jar, demo.tokens.id_token ?? '')).status, 302);
    assert.equal(receiver.deliveries.length, 0);
  });

  it('ends the sessions of every authorization server, each client told with the issuer of its tokens', async () => {
    const jar = new CookieJar();
    const org = await tokensFor(jar, { authServer: 'org', clientId: SECOND_ID });
    const demo = await tokensFor(jar);
    assert.equal(org.claims.iss, idp.issuer('org'));
    assert.equal(typeof org.claims.sid, 'string');

    assert.equal((await logout(jar, demo.tokens.id_token ?? '')).status, 302);
    const second = receiver.deliveries.find((delivery) => delivery.path === '/second');
    const first = receiver.deliveries.find((delivery) => delivery.path === '/demo');
    assert.ok(second && first);
    const orgToken = await verifyLogoutToken(second.form.get('logout_token') ?? '', { authServer: 'org', clientId: SECOND_ID });
    assert.equal(orgToken.payload.sid, org.claims.sid);
    const defaultToken = await verifyLogoutToken(first.form.get('logout_token') ?? '', { clientId: DEMO_CLIENT_ID });
    assert.equal(defaultToken.payload.sid, demo.claims.sid);
  });

  it('tells the clients of a session that ends because another user signs in over it', async () => {
    const jar = new CookieJar();
    const alice = await tokensFor(jar);
    const bob = await tokensFor(jar, { username: 'bob@example.com', extra: { prompt: 'login' } });
    assert.equal(bob.claims.sub, BOB_ID);
    assert.notEqual(bob.claims.sid, alice.claims.sid);
    assert.equal(receiver.deliveries.length, 1);
    const { payload } = await verifyLogoutToken(receiver.deliveries[0]?.form.get('logout_token') ?? '', { clientId: DEMO_CLIENT_ID });
    assert.equal(payload.sub, ALICE_ID);
    assert.equal(payload.sid, alice.claims.sid);
  });

  it('a client that fails or cannot be reached does not stop the logout', async () => {
    const demo = demoSeed.clients?.[0];
    assert.ok(demo);
    const unreachable = `http://127.0.0.1:${await closedPort()}/gone`;
    const other = await startDevIdp({
      port: 0,
      seed: { ...demoSeed, clients: [{ ...demo, backchannel_logout_uri: `${receiver.url}/down` }, { client_id: SECOND_ID, client_secret: SECOND_SECRET, redirect_uris: [SECOND_REDIRECT], backchannel_logout_uri: unreachable }] },
    });
    try {
      const previous = idp;
      idp = other;
      try {
        const jar = new CookieJar();
        const tokens = await tokensFor(jar);
        await tokensFor(jar, { clientId: SECOND_ID });
        const response = await logout(jar, tokens.tokens.id_token ?? '');
        assert.equal(response.status, 302);
        assert.deepEqual(receiver.deliveries.map((delivery) => delivery.path), ['/down']);
      } finally {
        idp = previous;
      }
    } finally {
      await other.close();
    }
  });

  it('logoutToken() signs a logout token for tests, with the current key, and wrong ones on request', async () => {
    const token = await idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID, sid: 'abc' });
    const { payload } = await verifyLogoutToken(token, { clientId: DEMO_CLIENT_ID });
    assert.equal(payload.sub, ALICE_ID);
    assert.equal(payload.sid, 'abc');
    assert.ok((payload.exp ?? 0) > (payload.iat ?? 0));

    const subOnly = await verifyLogoutToken(await idp.logoutToken({ clientId: SECOND_ID, sub: BOB_ID, authServer: 'org' }), { authServer: 'org', clientId: SECOND_ID });
    assert.equal('sid' in subOnly.payload, false);

    const wrongAudience = await idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID, audience: 'someone-else' });
    await assert.rejects(verifyLogoutToken(wrongAudience, { clientId: DEMO_CLIENT_ID }), /aud/);
    const noEvents = await idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID, removeClaims: ['events'] });
    await assert.rejects(verifyLogoutToken(noEvents, { clientId: DEMO_CLIENT_ID }), /events/);
    const withNonce = await idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID, claims: { nonce: 'n', jti: undefined } });
    const decoded = JSON.parse(Buffer.from(withNonce.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
    assert.equal(decoded.nonce, 'n');
    assert.equal('jti' in decoded, false);

    await assert.rejects(idp.logoutToken({ clientId: 'nobody', sub: ALICE_ID }), { code: 'GH-DEVIDP-UNKNOWN-CLIENT' });
    await assert.rejects(idp.logoutToken({ clientId: DEMO_CLIENT_ID }), { code: 'GH-DEVIDP-LOGOUT-TOKEN' });
    await assert.rejects(idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID, authServer: 'nope' }), { code: 'GH-DEVIDP-UNKNOWN-AUTH-SERVER' });

    const kids = await idp.rotateSigningKey({ authServer: 'default', keepPrevious: true });
    const rotated = await idp.logoutToken({ clientId: DEMO_CLIENT_ID, sub: ALICE_ID });
    assert.equal(decodeProtectedHeader(rotated).kid, kids.default);
    await verifyLogoutToken(rotated, { clientId: DEMO_CLIENT_ID });
  });

  it('the seed takes backchannel_logout_uri (absolute, no fragment) and backchannel_logout_session_required', () => {
    const base = { client_id: 'c', client_secret: 's', redirect_uris: ['https://app.example/cb'] };
    const seed = parseSeed({ clients: [{ ...base, backchannel_logout_uri: 'https://app.example/bcl' }] });
    assert.equal(seed.clients[0]?.backchannel_logout_uri, 'https://app.example/bcl');
    assert.equal(seed.clients[0]?.backchannel_logout_session_required, false);
    assert.equal(parseSeed({ clients: [base] }).clients[0]?.backchannel_logout_uri, undefined);
    for (const uri of ['/relative', 'https://app.example/bcl#frag', 'ftp://app.example/x']) {
      assert.throws(
        () => parseSeed({ clients: [{ ...base, backchannel_logout_uri: uri }] }),
        (error: unknown) => error instanceof SeedError && error.problems.some((problem) => problem.path === 'clients.0.backchannel_logout_uri'),
        uri,
      );
    }
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
