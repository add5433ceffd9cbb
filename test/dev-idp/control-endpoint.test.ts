import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { decodeJwtParts, signInAndExchange } from './oidc-client.js';

describe('dev IdP control endpoint (/__dev)', () => {
  let idp: DevIdp;
  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  const control = (path: string, method: string, body?: unknown) =>
    fetch(`${idp.origin}/__dev/${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('reads, patches and resets switches; the same object the in-process API exposes', async () => {
    const initial = await (await control('switches', 'GET')).json();
    assert.deepEqual(initial, { omitGroupsClaim: false, groupsOverLimit: 'error', rateLimitNextManagementCalls: 0 });

    const patched = await control('switches', 'POST', { omitGroupsClaim: true, groupsOverLimit: 'truncate', accessTokenTtl: 60 });
    assert.equal(patched.status, 200);
    assert.equal(idp.switches.omitGroupsClaim, true);
    assert.equal(idp.switches.groupsOverLimit, 'truncate');
    assert.equal(idp.switches.accessTokenTtl, 60);

    await control('switches', 'POST', { accessTokenTtl: null });
    assert.equal('accessTokenTtl' in idp.switches, false);

    const reset = await (await control('switches', 'DELETE')).json();
    assert.deepEqual(reset, initial);
    assert.equal(idp.switches.omitGroupsClaim, false);
  });

  it('rejects invalid switches with 400 and the problems', async () => {
    const res = await control('switches', 'POST', { groupsOverLimit: 'sometimes', bogus: 1 });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { issues: unknown[] };
    assert.ok(body.issues.length >= 2);
    assert.equal(idp.switches.groupsOverLimit, 'error');
    assert.equal((await control('switches', 'POST', undefined)).status, 200, 'empty body = empty patch');
  });

  it('sets tamperNextIdToken over HTTP', async () => {
    await control('switches', 'POST', { tamperNextIdToken: { claims: { iss: 'https://elsewhere.example' }, signWith: 'none' } });
    const { signInRaw } = await import('./oidc-client.js');
    const { body } = await signInRaw(idp, { username: 'bob@example.com' });
    const { header, payload } = decodeJwtParts(String(body.id_token));
    assert.equal(header.alg, 'none');
    assert.equal(payload.iss, 'https://elsewhere.example');
  });

  it('rotates signing keys over HTTP', async () => {
    const res = await control('rotate-signing-key', 'POST', { authServer: 'default' });
    assert.equal(res.status, 200);
    const { kids } = (await res.json()) as { kids: Record<string, string> };
    const { tokens } = await signInAndExchange(idp, { username: 'alice@example.com' });
    assert.equal(decodeJwtParts(tokens.id_token ?? '').header.kid, kids.default);
    assert.equal((await control('rotate-signing-key', 'POST', { authServer: 'nope' })).status, 400);
  });

  it('answers 404 for unknown controls', async () => {
    assert.equal((await control('nothing', 'GET')).status, 404);
  });
});
