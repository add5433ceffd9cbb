import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { GatehouseError } from '../../src/errors.js';
import { OktaApiError } from '../../src/okta/errors.js';
import { OktaManagementApi, type OktaManagementApiOptions } from '../../src/okta/management-api.js';
import { capturedLog } from '../support/captured-log.js';

const TOKEN = 'dev-api-token';
const READ_ONLY_TOKEN = 'dev-readonly-api-token';
const ALICE_ID = '00ualice000000000001';

const names = (groups: { profile: { name: string } }[]) => groups.map((group) => group.profile.name);

function oktaError(code: string): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof OktaApiError, `expected an OktaApiError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('Okta Management API client, against the stand-in', () => {
  let idp: DevIdp;
  const api = (options: Partial<OktaManagementApiOptions> = {}) => new OktaManagementApi({ oktaDomain: idp.origin, apiToken: TOKEN, ...options });
  /** Calls made since `before`, read from X-Rate-Limit-Remaining (one token bucket per test's client). */
  const callsBetween = (before: number | undefined, after: number | undefined) => (before ?? 0) - (after ?? 0);

  before(async () => {
    idp = await startDevIdp({ port: 0 });
  });
  after(() => idp.close());
  beforeEach(() => idp.resetSwitches());

  it('derives the API origin from the Okta domain as typed', () => {
    const hostPort = idp.origin.replace('http://', '');
    assert.equal(new OktaManagementApi({ oktaDomain: hostPort, apiToken: TOKEN }).orgUrl, idp.origin);
    assert.equal(new OktaManagementApi({ oktaDomain: `${idp.origin}/`, apiToken: TOKEN }).orgUrl, idp.origin);
  });

  it("lists a user's groups by login and by id, following Link next page by page", async () => {
    const client = api({ pageSize: 1 });
    await client.checkToken();
    const start = client.rateLimit()?.remaining;
    const groups = await client.listUserGroups('alice@example.com');
    assert.deepEqual(names(groups).sort(), ['Everyone', 'service_admin']);
    // Two groups at one per page: two calls, the second reached through Link rel="next".
    assert.equal(callsBetween(start, client.rateLimit()?.remaining), 2);
    const group = groups.find((entry) => entry.profile.name === 'service_admin');
    assert.deepEqual(group && { id: group.id, type: group.type, description: group.profile.description }, {
      id: '00gsvcadmin000000002',
      type: 'OKTA_GROUP',
      description: 'Administrators of the demo service',
    });
    assert.match(group?.lastMembershipUpdated ?? '', /^\d{4}-\d\d-\d\dT/);
    assert.deepEqual(names(await client.listUserGroups(ALICE_ID)).sort(), ['Everyone', 'service_admin']);
  });

  it('reads every page of a user in more than 100 groups', async () => {
    const client = api({ pageSize: 50 });
    const groups = await client.listUserGroups('carol@example.com');
    assert.equal(groups.length, 122);
    assert.equal(new Set(groups.map((group) => group.id)).size, 122);
    assert.ok(names(groups).includes('team-120'));
  });

  it('refuses to return part of a user\'s groups when the page cap is reached', async () => {
    await assert.rejects(api({ pageSize: 50, maxPages: 2 }).listUserGroups('carol@example.com'), oktaError('GH-OKTA-PAGING-LIMIT'));
  });

  it('answers GH-OKTA-NOT-FOUND for an unknown user, with Okta\'s error fields', async () => {
    await assert.rejects(api().listUserGroups('nobody@example.com'), (error: unknown) => {
      oktaError('GH-OKTA-NOT-FOUND')(error);
      const okta = error as OktaApiError;
      assert.equal(okta.oktaErrorCode, 'E0000007');
      assert.equal(okta.httpStatus, 404);
      assert.equal(okta.status, 404);
      assert.match(okta.oktaErrorId ?? '', /^oae/);
      return true;
    });
  });

  it('searches groups by prefix, following Link paging up to the limit asked for', async () => {
    const client = api();
    await client.checkToken();
    const start = client.rateLimit()?.remaining;
    const first25 = await client.searchGroups('team-', 25, { pageSize: 10 });
    assert.deepEqual(names(first25), Array.from({ length: 25 }, (_, i) => `team-${String(i + 1).padStart(3, '0')}`));
    assert.equal(callsBetween(start, client.rateLimit()?.remaining), 3);

    const all = await client.searchGroups('TEAM-', 1000, { pageSize: 50 });
    assert.equal(all.length, 120);
    assert.deepEqual(names(await client.searchGroups('view')), ['viewers']);
    assert.deepEqual(await client.searchGroups('no-such-prefix'), []);
    assert.ok((await client.searchGroups('', 200)).length > 120);
  });

  it('stops following next at the page cap for suggestions, returning what it found', async () => {
    const groups = await api().searchGroups('team-', 100, { pageSize: 10, maxPages: 2 });
    assert.equal(groups.length, 20);
  });

  it('finds groups by exact name and tells which mapped names exist', async () => {
    const client = api({ pageSize: 5 });
    assert.equal((await client.getGroupByName('viewers'))?.id, '00gviewers0000000003');
    assert.equal(await client.getGroupByName('Viewers'), undefined);
    assert.equal(await client.getGroupByName('team-1'), undefined);
    // The exact name is on a later page of the prefix search.
    assert.equal((await client.getGroupByName('team-017'))?.profile.name, 'team-017');
    assert.deepEqual(await client.groupsExist(['service_admin', 'Viewers', 'nope', 'service_admin', ' Everyone ']), {
      existing: ['service_admin', 'Everyone'],
      missing: ['Viewers', 'nope'],
      differentCase: { Viewers: 'viewers' },
    });
  });

  it('tells a valid token from an invalid one', async () => {
    assert.deepEqual(await api().checkToken(), { status: 'valid' });
    assert.deepEqual(await api({ apiToken: READ_ONLY_TOKEN }).checkToken(), { status: 'valid' });
    const check = await api({ apiToken: 'not-a-token' }).checkToken();
    assert.equal(check.status, 'invalid');
    assert.equal(check.status === 'invalid' && check.error.oktaErrorCode, 'E0000011');
  });

  it('answers GH-OKTA-INVALID-TOKEN for a wrong token, naming the field and the fix, never the token', async () => {
    const secret = 'wrong-token-7f3a9c';
    const { log, lines } = capturedLog();
    const text = () => lines.join('\n');
    await assert.rejects(api({ apiToken: secret, log }).listUserGroups('alice@example.com'), (error: unknown) => {
      oktaError('GH-OKTA-INVALID-TOKEN')(error);
      const okta = error as OktaApiError;
      assert.equal(okta.field, 'api_token');
      assert.equal(okta.oktaErrorCode, 'E0000011');
      assert.equal(okta.httpStatus, 401);
      assert.match(okta.message, /Security > API > Tokens/);
      assert.ok(!okta.message.includes(secret));
      return true;
    });
    assert.ok(text().length > 0, 'the debug log saw the request');
    assert.ok(!text().includes(secret), 'the token is not in the log');
  });

  it('waits for X-Rate-Limit-Reset after a 429 and succeeds, exposing the rate-limit state', async () => {
    const { log, lines } = capturedLog();
    const text = () => lines.join('\n');
    const client = api({ log });
    assert.equal(client.rateLimit(), undefined);
    idp.switches.rateLimitNextManagementCalls = 1;
    const started = Date.now();
    const groups = await client.listUserGroups('bob@example.com');
    const elapsed = Date.now() - started;
    assert.deepEqual(names(groups).sort(), ['Everyone', 'viewers']);
    // The stand-in announces a reset 2 s ahead, in whole seconds, and its Date header is
    // truncated to the second: the client waits 2 to 3 s, plus its 250 ms margin, once.
    const waits = lines.map((line) => JSON.parse(line) as { msg: string; waitMs?: number }).filter((entry) => entry.msg === 'Okta rate limit hit: waiting for the reset');
    assert.equal(waits.length, 1, 'one wait');
    const waitMs = waits[0]!.waitMs!;
    assert.ok(waitMs >= 1000 && waitMs <= 3250, `waits for the announced reset (${waitMs} ms)`);
    assert.ok(elapsed >= waitMs, `and waited it out (${elapsed} ms)`);
    const state = client.rateLimit();
    assert.equal(state?.limit, 600);
    assert.ok(state && state.remaining > 0 && state.remaining < 600);
    assert.ok(state && state.resetAt.getTime() > Date.now());
    assert.match(text(), /Okta rate limit hit: waiting for the reset/);
    assert.ok(!text().includes(TOKEN));
  });

  it('gives up with GH-OKTA-RATE-LIMITED after the bounded retries, and waitIfNearLimit paces a job', async () => {
    idp.switches.rateLimitNextManagementCalls = 1;
    const client = api({ maxRateLimitRetries: 0 });
    await assert.rejects(client.searchGroups('view'), (error: unknown) => {
      oktaError('GH-OKTA-RATE-LIMITED')(error);
      const okta = error as OktaApiError;
      assert.equal(okta.oktaErrorCode, 'E0000047');
      assert.ok(okta.retryAt && okta.retryAt.getTime() > Date.now());
      return true;
    });
    const state = client.rateLimit();
    assert.equal(state?.remaining, 0);

    assert.equal(await api().waitIfNearLimit(0), 0, 'nothing seen yet: no wait');
    const started = Date.now();
    const waited = await client.waitIfNearLimit(0);
    assert.ok(waited >= 1000 && waited <= 3500, `waited ${waited} ms`);
    assert.ok(Date.now() - started >= waited - 5);
    assert.equal(client.rateLimit()?.remaining, 600, 'a new window is assumed after the full wait');
    assert.equal(await client.waitIfNearLimit(0), 0);
    assert.deepEqual(names(await client.searchGroups('view')), ['viewers']);

    idp.switches.rateLimitNextManagementCalls = 3;
    await assert.rejects(api({ maxRateLimitRetries: 1, maxRateLimitWaitMs: 50 }).checkToken(), oktaError('GH-OKTA-RATE-LIMITED'));
  });

  it('caps a rate-limit wait at maxRateLimitWaitMs', async () => {
    const { log, lines } = capturedLog();
    idp.switches.rateLimitNextManagementCalls = 1;
    const started = Date.now();
    assert.deepEqual(await api({ maxRateLimitWaitMs: 100, log }).checkToken(), { status: 'valid' });
    const waits = lines.map((line) => JSON.parse(line) as { msg: string; waitMs?: number }).filter((entry) => entry.msg === 'Okta rate limit hit: waiting for the reset');
    assert.deepEqual(waits.map((entry) => entry.waitMs), [100], 'one wait, cut to the cap');
    // The stand-in announced a reset at least 2 s ahead: the answer came before it.
    assert.ok(Date.now() - started < 2000);
  });

  it('answers GH-OKTA-UNAVAILABLE when Okta cannot be reached', async () => {
    const port = await closedPort();
    await assert.rejects(new OktaManagementApi({ oktaDomain: `127.0.0.1:${port}`, apiToken: TOKEN }).checkToken(), (error: unknown) => {
      oktaError('GH-OKTA-UNAVAILABLE')(error);
      assert.match((error as Error).message, /connection refused/);
      return true;
    });
  });

  it('refuses invalid options and arguments without echoing the token', async () => {
    assert.throws(() => new OktaManagementApi({ oktaDomain: 'dev-123.okta.com', apiToken: '  ' }), /API token is empty/);
    assert.throws(() => new OktaManagementApi({ oktaDomain: 'dev-123.okta.com', apiToken: 'two words' }), (error: unknown) => {
      assert.ok(error instanceof GatehouseError);
      assert.equal(error.code, 'GH-OKTA-ARGUMENT-INVALID');
      assert.equal(error.status, 400);
      assert.equal(error.field, 'api_token');
      assert.ok(!error.message.includes('two words'));
      return true;
    });
    await assert.rejects(api().searchGroups('x', 0), /limit must be an integer/);
    await assert.rejects(api().listUserGroups(' '), /userIdOrLogin must be a non-empty string/);
    assert.throws(() => new OktaManagementApi({ oktaDomain: 'http://dev-123.okta.com', apiToken: TOKEN }), /https only/);
  });
});

describe('Okta Management API client, against a stand-in whose links name another origin', () => {
  let idp: DevIdp;
  let port: number;
  before(async () => {
    port = await closedPort();
    // The stand-in writes Link headers with its public origin; here that is another host.
    idp = await startDevIdp({ port, publicOrigin: 'http://127.0.0.2:1' });
  });
  after(() => idp.close());

  it('does not follow a next link to another origin (it would receive the token)', async () => {
    const client = new OktaManagementApi({ oktaDomain: `127.0.0.1:${port}`, apiToken: TOKEN, pageSize: 1 });
    await assert.rejects(client.listUserGroups('alice@example.com'), (error: unknown) => {
      oktaError('GH-OKTA-API-ERROR')(error);
      assert.match((error as Error).message, /next page .* is on http:\/\/127\.0\.0\.2:1.*does not send the API token elsewhere/);
      return true;
    });
  });
});
