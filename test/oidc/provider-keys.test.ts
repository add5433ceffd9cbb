import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { SignJWT, generateKeyPair } from 'jose';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { ProviderCache } from '../../src/oidc/provider-cache.js';
import { validateIdToken } from '../../src/oidc/id-token.js';
import { TokenRejected } from '../../src/oidc/token-verification.js';
import type { TokenOrigin } from '../../src/oidc/provider-keys.js';
import { DEMO_CLIENT_ID, signInAndExchange } from '../dev-idp/oidc-client.js';
import { until } from '../support/until.js';
import { capturedLog } from '../support/captured-log.js';

/**
 * The keys of one provider (src/oidc/provider-keys.ts) against the real stand-in, with
 * ID tokens from its token endpoint: downloads counted at the stand-in, the network
 * taken away by stopping it.
 */

describe('ProviderKeys', () => {
  let idp: DevIdp;
  const stand = capturedLog();
  const downloads = () =>
    stand.lines.filter((line) => {
      const entry = JSON.parse(line) as { msg?: string; path?: string };
      return entry.msg === 'dev IdP request' && entry.path === '/oauth2/default/v1/keys';
    }).length;

  before(async () => {
    idp = await startDevIdp({ port: 0, log: stand.log });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  const idToken = async () => (await signInAndExchange(idp, { username: 'alice@example.com' })).tokens.id_token!;
  const verify = (providers: ProviderCache, token: string, origin: TokenOrigin) =>
    providers.get(idp.issuer('default')).then((provider) => validateIdToken(provider, token, { clientId: DEMO_CLIENT_ID, leeway: 5, origin }));

  it('a new key: the token endpoint’s token downloads at once, a presented one waits for the cool-down', async () => {
    const providers = new ProviderCache({ log: capturedLog().log, jwksCooldownMs: 60_000 });
    await verify(providers, await idToken(), 'presented');
    await idp.rotateSigningKey({ authServer: 'default' });
    const rotated = await idToken();
    const before = downloads();
    await assert.rejects(verify(providers, rotated, 'presented'), TokenRejected);
    assert.equal(downloads(), before, 'cooling down');
    await verify(providers, rotated, 'token-endpoint');
    assert.equal(downloads(), before + 1);
    await verify(providers, rotated, 'presented');
    assert.equal(downloads(), before + 1, 'the new key is held now');
    await providers.close();
  });

  it('an unknown key after the cool-down: one download before refusing, not one by jose and one more', async () => {
    const providers = new ProviderCache({ log: capturedLog().log, jwksCooldownMs: 1 });
    await verify(providers, await idToken(), 'token-endpoint');
    idp.switches.tamperNextIdToken = { signWith: 'foreign-key' };
    const forged = await idToken();
    for (const origin of ['token-endpoint', 'presented'] as const) {
      // Past the 1 ms cool-down, jose downloads on its own when no key matches.
      const held = (await providers.get(idp.issuer('default'))).keys.held()!;
      await until('the cool-down to pass', () => (Date.now() > held.fetchedAt + 1 ? true : undefined));
      const before = downloads();
      await assert.rejects(verify(providers, forged, origin), TokenRejected);
      assert.equal(downloads(), before + 1, origin);
    }
    await providers.close();
  });

  it('while the provider fails, hostile tokens with unknown keys cause one download attempt per cool-down, not one each', async () => {
    const cooldownMs = 1000;
    const providers = new ProviderCache({ log: capturedLog().log, jwksCooldownMs: cooldownMs });
    await verify(providers, await idToken(), 'token-endpoint');
    const key = (await generateKeyPair('RS256')).privateKey;
    const hostile = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new SignJWT({ sub: 'x', aud: DEMO_CLIENT_ID, nonce: 'n' })
          .setProtectedHeader({ alg: 'RS256', kid: `unknown-${i}` })
          .setIssuer(idp.issuer('default'))
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(key),
      ),
    );
    // The last good download is older than the cool-down: jose's own cool-down is over.
    const held = (await providers.get(idp.issuer('default'))).keys.held()!;
    await until('the cool-down after the last download to pass', () => (Date.now() > held.fetchedAt + cooldownMs ? true : undefined));
    const port = Number(new URL(idp.origin).port);
    await idp.close();
    // The provider's address answers 503 to everything (an outage, or Okta's 429), and counts.
    let attempts = 0;
    const failing = createServer((req, res) => {
      if (req.url?.endsWith('/v1/keys')) attempts++;
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' }).end('{"error":"temporarily_unavailable"}');
    });
    await new Promise<void>((resolve) => failing.listen(port, '127.0.0.1', resolve));
    try {
      // Until fetch reaches it (a kept-alive socket to the stopped stand-in fails first).
      await until('the failing provider to answer', async () => ((await fetch(`http://127.0.0.1:${port}/ping`).catch(() => undefined))?.status === 503 ? true : undefined));
      const started = Date.now();
      for (const token of hostile) await assert.rejects(verify(providers, token, 'presented'), TokenRejected);
      const allowed = 1 + Math.floor((Date.now() - started) / cooldownMs);
      assert.ok(attempts >= 1 && attempts <= allowed, `${attempts} attempts for 20 tokens; at most ${allowed}, one per cool-down, failed or not`);
    } finally {
      failing.closeAllConnections();
      await new Promise((resolve) => failing.close(resolve));
      idp = await startDevIdp({ port, log: stand.log });
      await providers.close();
    }
  });

  it('keys held verify while the provider is down, past their age; the failed background download is logged', async () => {
    const { log, lines } = capturedLog();
    // Every key set is past its age: each verification asks for a background download.
    const providers = new ProviderCache({ log, jwksMaxAgeMs: 0, jwksCooldownMs: 0 });
    const token = await idToken();
    await verify(providers, token, 'presented');
    const port = Number(new URL(idp.origin).port);
    await idp.close();
    try {
      const claims = await verify(providers, token, 'presented');
      assert.equal(claims.sub, '00ualice000000000001', 'verified without waiting for the provider');
      await until('the failed download in the log', () => lines.find((line) => line.includes('could not be downloaded again')));
    } finally {
      idp = await startDevIdp({ port, log: stand.log });
      await providers.close();
    }
  });
});
