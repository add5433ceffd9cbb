import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { silentLogger } from '../../src/log.js';
import { ProviderCache } from '../../src/oidc/provider-cache.js';

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

  it('does not answer once the metadata is due again, nor for a failed discovery', async () => {
    const ageing = new ProviderCache({ log, metadataMaxAgeMs: 50 });
    const issuer = idp.issuer('default');
    await ageing.get(issuer);
    assert.ok(ageing.peek(issuer));
    await new Promise((resolve) => setTimeout(resolve, 80));
    assert.equal(ageing.peek(issuer), undefined, 'get would discover again');

    const failing = new ProviderCache({ log, timeoutSeconds: 2 });
    const nowhere = `${idp.issuer('default')}-missing`;
    await assert.rejects(failing.get(nowhere));
    assert.equal(failing.peek(nowhere), undefined);
  });
});
