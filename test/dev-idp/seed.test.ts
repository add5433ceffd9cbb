import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { demoSeed, loadSeedFile, parseSeed, SeedError, startDevIdp } from '../../src/dev-idp/index.js';

describe('dev IdP seed', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-seed-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('the demo seed is valid and fills in defaults', () => {
    const seed = parseSeed(demoSeed);
    assert.deepEqual(seed.authorization_servers, [{ id: 'default', groups_claim: { scopes: ['groups'] } }]);
    // A bare id: the groups claim is included in any scope (Okta's default in the claim dialog).
    assert.deepEqual(parseSeed({ authorization_servers: ['aus1'] }).authorization_servers, [{ id: 'aus1', groups_claim: { scopes: [] } }]);
    assert.equal(seed.refresh_token_ttl, 90 * 24 * 3600);
    const client = seed.clients.find((candidate) => candidate.client_id === 'gatehouse-demo');
    assert.deepEqual(client?.redirect_uris, ['http://localhost:8000/demo/callback', 'http://127.0.0.1:8000/demo/callback']);
    assert.deepEqual(client?.post_logout_redirect_uris, ['http://localhost:8000/', 'http://127.0.0.1:8000/']);
    const alice = seed.users.find((user) => user.login === 'alice@example.com');
    assert.deepEqual(alice?.groups, ['service_admin', 'Everyone']);
  });

  it('loads a JSON seed file and applies defaults', async () => {
    const path = join(dir, 'ok.json');
    await writeFile(path, JSON.stringify({
      users: [{ id: '00uzed', login: 'zed', email: 'zed@example.com', password: 'pw', firstName: 'Zed', lastName: 'Z', groups: ['g'] }],
      groups: [{ id: '00gg', name: 'g' }],
      clients: [{ client_id: 'c', client_secret: 's', redirect_uris: ['https://app.example/cb'] }],
    }));
    const seed = await loadSeedFile(path);
    assert.equal(seed.users[0]?.status, 'ACTIVE');
    assert.equal(seed.groups[0]?.type, 'OKTA_GROUP');
    assert.equal(seed.clients[0]?.groups_claim_filter, '.*');
    assert.deepEqual(seed.clients[0]?.grant_types, ['authorization_code', 'refresh_token']);
    assert.equal(seed.access_token_ttl, 3600);
    const idp = await startDevIdp({ port: 0, seed });
    await idp.close();
  });

  it('reports every problem at once, with paths', async () => {
    const path = join(dir, 'bad.json');
    await writeFile(path, JSON.stringify({
      users: [
        { id: 'u1', login: 'a', email: 'not-an-email', password: '', firstName: 'A', lastName: 'A', groups: ['missing-group'] },
        { id: '00ub', login: 'A', email: 'b@example.com', password: 'x', firstName: 'B', lastName: 'B', status: 'SUSPENDED' },
      ],
      groups: [{ id: '00gx', name: 'x', type: 'WEIRD' }],
      clients: [{ client_id: 'c', client_secret: 's', redirect_uris: ['not a url'], groups_claim_filter: '(' }],
      authorization_servers: ['v1', 'has-dash', { id: 'legacy', groups_claim: { scopes: ['grups'] } }],
    }));
    await assert.rejects(loadSeedFile(path), (error: unknown) => {
      assert.ok(error instanceof SeedError);
      assert.equal(error.code, 'GH-DEVIDP-SEED-INVALID');
      const paths = error.problems.map((problem) => problem.path);
      for (const expected of [
        'users.0.id',
        'users.0.email',
        'users.0.password',
        'users.1.status',
        'groups.0.type',
        'clients.0.redirect_uris.0',
        'clients.0.groups_claim_filter',
        'authorization_servers.0.id',
        'authorization_servers.1.id',
        'authorization_servers.2.groups_claim.scopes.0',
      ]) {
        assert.ok(paths.includes(expected), `${expected} in ${paths.join(', ')}`);
      }
      assert.match(error.message, /users\.0\.email/);
      return true;
    });
  });

  it('reports cross-reference problems (unknown groups, duplicate logins) together', () => {
    assert.throws(
      () =>
        parseSeed({
          users: [
            { id: '00ua', login: 'same', email: 'a@example.com', password: 'x', firstName: 'A', lastName: 'A', groups: ['nope'] },
            { id: '00ua', login: 'SAME', email: 'b@example.com', password: 'x', firstName: 'B', lastName: 'B' },
          ],
        }),
      (error: unknown) => {
        assert.ok(error instanceof SeedError);
        const messages = error.problems.map((problem) => `${problem.path}: ${problem.message}`);
        assert.ok(messages.some((message) => message.startsWith('users.0.groups.0: unknown group')));
        assert.ok(messages.some((message) => message.startsWith('users.1.id: duplicate user id')));
        assert.ok(messages.some((message) => message.startsWith('users.1.login: duplicate user login')));
        return true;
      },
    );
  });

  it('reports unreadable files and bad JSON with their own codes', async () => {
    await assert.rejects(loadSeedFile(join(dir, 'missing.json')), { code: 'GH-DEVIDP-SEED-UNREADABLE' });
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ "users": [ }');
    await assert.rejects(loadSeedFile(path), { code: 'GH-DEVIDP-SEED-JSON' });
  });

  it('startDevIdp validates seeds given in code', async () => {
    await assert.rejects(startDevIdp({ port: 0, seed: { clients: [{ client_id: 'x', client_secret: 'y', redirect_uris: [] }] } }), SeedError);
  });
});
