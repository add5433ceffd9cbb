import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { silentLogger } from '../../src/log.js';
import { ProviderCache } from '../../src/oidc/provider-cache.js';
import { validateIdToken } from '../../src/oidc/id-token.js';
import { OidcProviderRepository, migrateToLatest, openDatabase, type Database } from '../../src/store/index.js';
import { DEMO_CLIENT_ID, signInAndExchange } from '../dev-idp/oidc-client.js';
import { stopClock } from '../support/clock.js';
import { until } from '../support/until.js';
import { capturedLog } from '../support/captured-log.js';

describe('ProviderCache.peek', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  const log = silentLogger();

  it('answers without waiting only once discovery has succeeded, with what get answers', async () => {
    const providers = new ProviderCache({ log });
    const issuer = idp.issuer('default');
    assert.equal(providers.peek(issuer), undefined, 'nothing discovered yet');
    const pending = providers.get(issuer);
    assert.equal(providers.peek(issuer), undefined, 'discovery still running');
    const provider = await pending;
    assert.equal(providers.peek(issuer), provider);
    assert.equal(provider.issuer, issuer);
    providers.forget(issuer);
    assert.equal(providers.peek(issuer), undefined, 'forgotten');
  });

  it('does not answer once the metadata is due again, nor for a failed discovery', async (t) => {
    const clock = stopClock(t);
    const ageing = new ProviderCache({ log, metadataMaxAgeMs: 50 });
    const issuer = idp.issuer('default');
    await ageing.get(issuer);
    clock.advance(49);
    assert.ok(ageing.peek(issuer));
    clock.advance(1);
    assert.equal(ageing.peek(issuer), undefined, 'get would discover again');

    const failing = new ProviderCache({ log, timeoutSeconds: 2 });
    const nowhere = `${idp.issuer('default')}-missing`;
    await assert.rejects(failing.get(nowhere));
    assert.equal(failing.peek(nowhere), undefined);
  });
});

describe('ProviderCache: the last good copy, in the database', () => {
  let idp: DevIdp;
  let port: number;
  let dir: string;
  let db: Kysely<Database>;
  let records: OidcProviderRepository;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
    port = Number(new URL(idp.origin).port);
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-providers-'));
    db = await openDatabase(`sqlite:${join(dir, 'gatehouse.db')}`);
    await migrateToLatest(db);
    records = new OidcProviderRepository(db);
  });
  after(async () => {
    await idp.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The provider goes down for `during`, and comes back on the same address (and, in this process, with the same keys). */
  async function outage(during: () => Promise<void>) {
    await idp.close();
    try {
      await during();
    } finally {
      idp = await startDevIdp({ port });
    }
  }

  it('keeps serving the good entry when the re-discovery at its age fails, and takes the next one when the provider is back', async () => {
    const { log, lines } = capturedLog();
    const providers = new ProviderCache({ log, records, metadataMaxAgeMs: 1000, retryMinMs: 50, retryMaxMs: 400 });
    const issuer = idp.issuer('default');
    const good = await providers.get(issuer);
    await outage(async () => {
      await until('the metadata to be due', () => (providers.peek(issuer) === undefined ? true : undefined));
      assert.equal(await providers.get(issuer), good, 'the due entry answers at once, and is asked again in the background');
      await until('the failed attempt in the log', () => lines.find((line) => line.includes('serving its last good discovery document')));
      assert.equal(providers.peek(issuer), good, 'requests do not wait while attempts continue');
      assert.equal(await providers.get(issuer), good, 'a failed re-discovery never replaces the good entry');
    });
    const next = await until('a new discovery, without anyone asking', () => {
      const current = providers.peek(issuer);
      return current && current !== good ? current : undefined;
    });
    assert.equal(next.issuer, issuer);
    assert.ok(lines.some((line) => line.includes('OpenID provider reachable again')));
    await providers.close();
  });

  it('writes the discovery document and keys after each download; a new process serves them while the provider is down', async () => {
    const issuer = idp.issuer('default');
    const first = new ProviderCache({ log: silentLogger(), records });
    const provider = await first.get(issuer);
    const token = (await signInAndExchange(idp, { username: 'alice@example.com' })).tokens.id_token!;
    await validateIdToken(provider, token, { clientId: DEMO_CLIENT_ID, leeway: 5, origin: 'token-endpoint' });
    await first.close();
    const stored = await records.find(issuer);
    assert.ok(stored);
    assert.equal(stored.discovery.issuer, issuer);
    assert.equal(stored.discovery.jwks_uri, provider.metadata.jwks_uri);
    assert.equal(stored.jwks?.keys.length, 1, 'the key set downloaded for the token');
    assert.ok(stored.jwks_fetched_at !== null && stored.jwks_fetched_at >= stored.discovered_at);

    await outage(async () => {
      const { log, lines } = capturedLog();
      const restarted = new ProviderCache({ log, records, retryMinMs: 50, retryMaxMs: 400 });
      const fromStore = await restarted.get(issuer);
      assert.equal(fromStore.issuer, issuer);
      assert.equal(fromStore.metadata.token_endpoint, provider.metadata.token_endpoint);
      const claims = await validateIdToken(fromStore, token, { clientId: DEMO_CLIENT_ID, leeway: 5, origin: 'presented' });
      assert.equal(claims.sub, '00ualice000000000001', 'verified with the stored keys');
      await until('the log to say the stored copy serves', () => lines.find((line) => line.includes('serving its last good discovery document')));
      assert.ok(lines.some((line) => line.includes('loaded from the database')));
      assert.doesNotMatch(lines.join('\n'), /eyJ[\w-]+\.eyJ/, 'no token in the log');
      await restarted.close();
    });
  });
});
