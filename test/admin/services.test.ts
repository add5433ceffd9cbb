import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, countAll, countRows, form, startAdmin, type TestAdmin } from './helpers.js';

describe('Admin API: services', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startAdmin();
  });
  after(async () => {
    await admin.close();
  });

  it('creates a service from the url shorthand with a form body, filling Kong defaults', async () => {
    const before = admin.changes();
    const created = await call(admin, 'POST', '/services', form(['name', 'orders'], ['url', 'https://orders.internal:8443/v1']));
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...created.body, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        name: 'orders',
        protocol: 'https',
        host: 'orders.internal',
        port: 8443,
        path: '/v1',
        connect_timeout: 60000,
        read_timeout: 60000,
        write_timeout: 60000,
        retries: 5,
        enabled: true,
        tags: null,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    assert.equal('url' in created.body, false, 'url is a write-only shorthand');
    assert.equal(admin.changes(), before + 1, 'onChange ran after the write');
  });

  it('defaults the port from the protocol, with or without url', async () => {
    const https = await call(admin, 'POST', '/services', { name: 'tls-host', protocol: 'https', host: 'secure.internal' });
    assert.equal(https.status, 201);
    assert.equal(https.body.port, 443);
    const http = await call(admin, 'POST', '/services', { url: 'http://plain.internal' });
    assert.equal(http.status, 201);
    assert.equal(http.body.port, 80);
    assert.equal(http.body.path, null);
    assert.equal(http.body.name, null);
  });

  it('accepts strings for numbers and booleans in form bodies', async () => {
    const created = await call(
      admin,
      'POST',
      '/services',
      form(['name', 'formy'], ['host', 'formy.internal'], ['port', '8080'], ['retries', '2'], ['enabled', 'false'], ['tags', 'a'], ['tags', 'b']),
    );
    assert.equal(created.status, 201);
    assert.equal(created.body.port, 8080);
    assert.equal(created.body.retries, 2);
    assert.equal(created.body.enabled, false);
    assert.deepEqual(created.body.tags, ['a', 'b']);
  });

  it('reads by id and by name, and answers Kong 404 for unknown ones', async () => {
    assert.equal((await call(admin, 'POST', '/services', { name: 'readable', host: 'readable.internal' })).status, 201);
    const byName = await call(admin, 'GET', '/services/readable');
    assert.equal(byName.status, 200);
    const byId = await call(admin, 'GET', `/services/${byName.body.id}`);
    assert.deepEqual(byId.body, byName.body);
    const missing = await call(admin, 'GET', '/services/nope');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { message: 'Not found', error_code: 'GH-ADMIN-NOT-FOUND' });
    const missingId = await call(admin, 'GET', '/services/00000000-0000-4000-8000-000000000000');
    assert.equal(missingId.status, 404);
  });

  it('PATCH changes the given fields only; url replaces protocol, host, port and path', async () => {
    assert.equal((await call(admin, 'POST', '/services', { name: 'patchable', url: 'https://patchable.internal:8443/v1' })).status, 201);
    const patched = await call(admin, 'PATCH', '/services/patchable', form(['retries', '9']));
    assert.equal(patched.status, 200);
    assert.equal(patched.body.retries, 9);
    assert.equal(patched.body.host, 'patchable.internal');
    assert.equal(patched.body.port, 8443);
    const moved = await call(admin, 'PATCH', '/services/patchable', { url: 'http://patchable-v2.internal' });
    assert.equal(moved.body.protocol, 'http');
    assert.equal(moved.body.host, 'patchable-v2.internal');
    assert.equal(moved.body.port, 80);
    assert.equal(moved.body.path, null);
    assert.equal(moved.body.retries, 9);
    assert.ok(moved.body.updated_at >= moved.body.created_at);
    const missing = await call(admin, 'PATCH', '/services/nope', { retries: 1 });
    assert.equal(missing.status, 404);
  });

  it('PUT creates by name, then replaces the whole entity keeping id and created_at', async () => {
    const created = await call(admin, 'PUT', '/services/put-me', { host: 'a.internal', retries: 1 });
    assert.equal(created.status, 200);
    assert.equal(created.body.name, 'put-me');
    const replaced = await call(admin, 'PUT', '/services/put-me', { host: 'b.internal' });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.id, created.body.id);
    assert.equal(replaced.body.created_at, created.body.created_at);
    assert.equal(replaced.body.host, 'b.internal');
    assert.equal(replaced.body.retries, 5, 'PUT resets fields it does not send');

    const id = '6a1d2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    const byId = await call(admin, 'PUT', `/services/${id}`, { name: 'by-id', host: 'c.internal' });
    assert.equal(byId.status, 200);
    assert.equal(byId.body.id, id);

    const mismatch = await call(admin, 'PUT', '/services/put-me', { name: 'other', host: 'b.internal' });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.fields.name, "must match the name in the URL ('put-me'), or be left out");
  });

  it('a GET answer can be sent back with PUT unchanged', async () => {
    assert.equal((await call(admin, 'PUT', '/services/round-trip', { url: 'https://round-trip.internal:8443/v1', tags: ['t'] })).status, 200);
    const current = await call(admin, 'GET', '/services/round-trip');
    const again = await call(admin, 'PUT', '/services/round-trip', current.body);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, current.body.id);
  });

  it('refuses a duplicate name with Kong 409 and writes nothing', async () => {
    assert.equal((await call(admin, 'POST', '/services', { name: 'first-name', host: 'one.internal' })).status, 201);
    assert.equal((await call(admin, 'POST', '/services', { name: 'second-name', host: 'two.internal' })).status, 201);
    const counts = await countAll(admin.db);
    const changes = admin.changes();
    const duplicate = await call(admin, 'POST', '/services', { name: 'first-name', host: 'x.internal' });
    assert.equal(duplicate.status, 409);
    assert.deepEqual(duplicate.body, {
      code: 5,
      name: 'unique constraint violation',
      message: `UNIQUE violation detected on '{name="first-name"}'`,
      fields: { name: 'first-name' },
      error_code: 'GH-ADMIN-UNIQUE',
    });
    const renamed = await call(admin, 'PATCH', '/services/second-name', { name: 'first-name' });
    assert.equal(renamed.status, 409);
    assert.deepEqual(await countAll(admin.db), counts);
    assert.equal(admin.changes(), changes, 'no onChange after a failed request');
  });

  it('names every wrong field at once and writes nothing', async () => {
    const counts = await countAll(admin.db);
    const answer = await call(admin, 'POST', '/services', {
      name: 'bad name!',
      protocol: 'ftp',
      port: 70000,
      path: 'no-slash',
      retries: 'many',
      colour: 'blue',
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 2);
    assert.equal(answer.body.name, 'schema violation');
    assert.equal(answer.body.error_code, 'GH-ADMIN-SCHEMA');
    assert.deepEqual(answer.body.fields, {
      name: "invalid value 'bad name!': the only accepted ascii characters are alphanumerics or ., -, _, and ~",
      protocol: 'expected one of: http, https',
      host: 'required field missing',
      port: 'value should be between 0 and 65535',
      path: 'should start with: /',
      retries: 'expected an integer',
      colour: 'unknown field',
    });
    assert.match(answer.body.message, /^7 schema violations \(/);
    assert.match(answer.body.message, /host: required field missing/);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('reports a broken url on url alone', async () => {
    const answer = await call(admin, 'POST', '/services', form(['url', 'ftp://files.internal']));
    assert.equal(answer.status, 400);
    assert.deepEqual(answer.body.fields, { url: "unsupported scheme 'ftp'; use http:// or https://" });
  });

  it('pages with size and an opaque offset, Kong style', async () => {
    // Five at least: two full pages and a last one.
    for (let index = await countRows(admin.db, 'services'); index < 5; index++) {
      assert.equal((await call(admin, 'POST', '/services', { name: `paged-${index}`, host: 'paged.internal' })).status, 201);
    }
    const total = await countRows(admin.db, 'services');
    assert.ok(total >= 5);
    const seen: string[] = [];
    let path: string | null = '/services?size=2';
    let pages = 0;
    while (path) {
      const page: { status: number; body: any } = await call(admin, 'GET', path);
      assert.equal(page.status, 200);
      assert.ok(page.body.data.length <= 2);
      seen.push(...page.body.data.map((service: { id: string }) => service.id));
      if (page.body.next) {
        assert.match(page.body.next, /^\/services\?offset=[^&]+&size=2$/);
        assert.equal(typeof page.body.offset, 'string');
      } else {
        assert.equal(page.body.next, null);
        assert.equal('offset' in page.body, false);
      }
      path = page.body.next;
      pages += 1;
    }
    assert.equal(seen.length, total);
    assert.equal(new Set(seen).size, total, 'no service twice');
    assert.equal(pages, Math.ceil(total / 2));
    const all = await call(admin, 'GET', '/services');
    assert.equal(all.body.data.length, total);
    assert.equal(all.body.next, null);
  });

  it('refuses bad paging arguments', async () => {
    for (const size of ['0', '1001', 'ten']) {
      const answer = await call(admin, 'GET', `/services?size=${size}`);
      assert.equal(answer.status, 400);
      assert.equal(answer.body.code, 9);
      assert.equal(answer.body.name, 'invalid size');
      assert.equal(answer.body.error_code, 'GH-ADMIN-SIZE');
    }
    const offset = await call(admin, 'GET', '/services?offset=garbage');
    assert.equal(offset.status, 400);
    assert.equal(offset.body.code, 7);
    assert.equal(offset.body.error_code, 'GH-ADMIN-OFFSET');
    assert.match(offset.body.message, /not a valid offset/);
  });

  it('DELETE answers 204, also for services that do not exist', async () => {
    const created = await call(admin, 'POST', '/services', { name: 'doomed', host: 'd.internal' });
    const changes = admin.changes();
    const deleted = await call(admin, 'DELETE', `/services/${created.body.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(admin.changes(), changes + 1);
    assert.equal((await call(admin, 'GET', '/services/doomed')).status, 404);
    const again = await call(admin, 'DELETE', '/services/doomed');
    assert.equal(again.status, 204);
    assert.equal(admin.changes(), changes + 1, 'deleting nothing is no change');
  });

  it('answers 405 for a method a path does not have, and 404 for unknown paths', async () => {
    const answer = await call(admin, 'POST', '/services/orders', { host: 'x' });
    assert.equal(answer.status, 405);
    assert.equal(answer.body.error_code, 'GH-ADMIN-METHOD');
    const unknown = await call(admin, 'GET', '/nothing-here');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.message, 'Not found');
  });

  it('accepts a trailing slash like Kong', async () => {
    const answer = await call(admin, 'GET', '/services/');
    assert.equal(answer.status, 200);
  });
});
