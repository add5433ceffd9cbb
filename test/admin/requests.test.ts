import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MAX_BODY_DEPTH, MAX_BODY_FIELDS, decodeFormBody } from '../../src/admin/body.js';
import { createAdminServer } from '../../src/admin/server.js';
import { KeyRing } from '../../src/crypto/keyring.js';
import { pluginRegistry } from '../../src/gateway/plugins/index.js';
import { silentLogger } from '../../src/log.js';
import { migrateToLatest, openDatabase } from '../../src/store/index.js';
import { ADMIN_TOKEN, KEYS, call, countAll, startAdmin, type TestAdmin } from './helpers.js';

describe('form body decoding', () => {
  it('builds nested objects from dotted keys and lists from repeated keys', () => {
    assert.deepEqual(decodeFormBody('name=oidc&config.client_id=C&config.scopes=openid&config.scopes=email&config.session.secure=true'), {
      name: 'oidc',
      config: { client_id: 'C', scopes: ['openid', 'email'], session: { secure: 'true' } },
    });
  });

  it('reads key[] and key[n], in index order', () => {
    assert.deepEqual(decodeFormBody('paths[]=/a&paths[]=/b'), { paths: ['/a', '/b'] });
    assert.deepEqual(decodeFormBody('paths[2]=/b&paths[1]=/a'), { paths: ['/a', '/b'] });
    assert.deepEqual(decodeFormBody('config.scopes[1]=openid'), { config: { scopes: ['openid'] } });
    assert.deepEqual(decodeFormBody('items[1].name=a&items[1].value=1&items[2].name=b'), {
      items: [{ name: 'a', value: '1' }, { name: 'b' }],
    });
  });

  it('decodes percent-encoding and treats an empty value as null', () => {
    assert.deepEqual(decodeFormBody('url=https%3A%2F%2Fx%2Fa%3Fb%3Dc&paths='), { url: 'https://x/a?b=c', paths: null });
  });

  it('refuses a key used both as a value and as an object, and prototype keys', () => {
    assert.throws(() => decodeFormBody('config=1&config.x=2'), { code: 'GH-ADMIN-FORM-KEY' });
    assert.throws(() => decodeFormBody('config.x=2&config=1'), { code: 'GH-ADMIN-FORM-KEY' });
    assert.throws(() => decodeFormBody('__proto__.polluted=1'), { code: 'GH-ADMIN-FORM-KEY' });
    assert.throws(() => decodeFormBody('a..b=1'), { code: 'GH-ADMIN-FORM-KEY' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('Admin API: request handling', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startAdmin();
  });
  after(async () => {
    await admin.close();
  });

  it('answers 400 with a stable code for invalid JSON, without quoting the body', async () => {
    const counts = await countAll(admin.db);
    const answer = await call(admin, 'POST', '/services', '{"name": "x", "host": "secret-in-body-123"', { 'content-type': 'application/json' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error_code, 'GH-ADMIN-INVALID-JSON');
    assert.match(answer.body.message, /^Cannot parse JSON body/);
    assert.equal(JSON.stringify(answer.body).includes('secret-in-body-123'), false);
    assert.deepEqual(await countAll(admin.db), counts);
  });

  it('answers 415 for media types other than JSON and forms', async () => {
    const answer = await call(admin, 'POST', '/services', 'name=x', { 'content-type': 'text/plain' });
    assert.equal(answer.status, 415);
    assert.equal(answer.body.error_code, 'GH-ADMIN-MEDIA-TYPE');
    assert.match(answer.body.message, /application\/json or application\/x-www-form-urlencoded/);
    const multipart = await call(admin, 'POST', '/services', 'x', { 'content-type': 'multipart/form-data; boundary=z' });
    assert.equal(multipart.status, 415);
  });

  it('answers 413 for oversized bodies', async () => {
    const answer = await call(admin, 'POST', '/services', { name: 'big', host: 'h', tags: ['x'.repeat(2 * 1024 * 1024)] });
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error_code, 'GH-ADMIN-BODY-TOO-LARGE');
  });

  it('accepts JSON with a charset and an empty JSON body on DELETE', async () => {
    const created = await call(admin, 'POST', '/services', { name: 'charset', host: 'c.internal' }, { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(created.status, 201);
    const deleted = await call(admin, 'DELETE', '/services/charset', '', { 'content-type': 'application/json' });
    assert.equal(deleted.status, 204);
  });

  it('refuses a body that is not an object', async () => {
    const answer = await call(admin, 'POST', '/consumers', ['not', 'an', 'object']);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.code, 2);
    assert.deepEqual(answer.body.fields, { '@entity': ['expected a JSON object or form fields'] });
  });

  it('answers malformed URLs with the same error shape', async () => {
    const answer = await call(admin, 'GET', '/services/%zz');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error_code, 'GH-ADMIN-BAD-URL');
  });

  it('refuses a POST that reuses an existing id (Kong primary key violation)', async () => {
    const created = await call(admin, 'POST', '/consumers', { username: 'first' });
    const again = await call(admin, 'POST', '/consumers', { username: 'second', id: created.body.id });
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 3);
    assert.equal(again.body.name, 'primary key violation');
    assert.equal(again.body.error_code, 'GH-ADMIN-PRIMARY-KEY');
    assert.equal((await call(admin, 'GET', '/consumers/second')).status, 404);
  });

  it('answers GET /status with the database state', async () => {
    const status = await call(admin, 'GET', '/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.database.reachable, true);
    assert.equal(typeof status.body.server.total_requests, 'number');
  });
});

describe('Admin API: body depth and size limits', () => {
  let admin: TestAdmin;
  before(async () => {
    admin = await startAdmin();
  });
  after(async () => {
    await admin.close();
  });

  const JSON_TYPE = { 'content-type': 'application/json' };
  /** `{"a":{"a":…1…}}` as text: JSON.stringify itself overflows on such values. */
  const nestedObjects = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  const nestedLists = (levels: number) => '['.repeat(levels) + '1' + ']'.repeat(levels);
  const organizations = async () => Number((await admin.db.selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  // Every write path shares the parsers; these cover each kind (entity, nested, organization, identity, tokens).
  const WRITES: Array<[string, string]> = [
    ['POST', '/services'],
    ['PUT', '/services/deep'],
    ['PATCH', '/routes/deep'],
    ['POST', '/plugins'],
    ['POST', '/consumers/deep/plugins'],
    ['POST', '/organizations'],
    ['PUT', '/organizations/deep/identity'],
    ['POST', '/me/tokens'],
    ['DELETE', '/services/deep'],
  ];

  it('refuses form keys nested 50,000 deep (dotted and indexed) with 400 naming the limit, writing nothing', async () => {
    const counts = await countAll(admin.db);
    for (const key of ['a' + '.a'.repeat(50_000), 'a' + '[0]'.repeat(50_000), 'a' + '[]'.repeat(50_000), 'a' + '.a[0]'.repeat(20_000)]) {
      for (const [method, path] of WRITES) {
        const answer = await call(admin, method, path, `name=deep&host=h.internal&${key}=1`);
        assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error_code, 'GH-ADMIN-BODY-TOO-DEEP');
        assert.match(answer.body.message, new RegExp(`more than ${MAX_BODY_DEPTH} levels deep \\(at a\\.`));
        assert.ok(answer.body.message.length < 400, 'the message does not quote the whole key');
      }
    }
    assert.deepEqual(await countAll(admin.db), counts);
    assert.equal(await organizations(), 0);
  });

  it('refuses JSON nested 5,000 deep, in config or anywhere, with the same 400', async () => {
    const counts = await countAll(admin.db);
    const bodies = [
      `{"name":"secret-test","config":${nestedObjects(5000)}}`,
      `{"name":"secret-test","config":{"client_id":"c","keys":${nestedLists(5000)}}}`,
      `{"name":"secret-test","config":{"client_id":"c","nested":{"token":${nestedObjects(5000)}}}}`,
      nestedLists(5000),
      `{"name":"deep","owner_email":"o@deep.example","owner":${nestedObjects(50_000)}}`,
    ];
    for (const body of bodies) {
      for (const [method, path] of WRITES) {
        const answer = await call(admin, method, path, body, JSON_TYPE);
        assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error_code, 'GH-ADMIN-BODY-TOO-DEEP');
        assert.match(answer.body.message, new RegExp(`more than ${MAX_BODY_DEPTH} levels`));
      }
    }
    assert.deepEqual(await countAll(admin.db), counts);
    assert.equal(await organizations(), 0);
  });

  it('draws the depth line at exactly the stated limit, for JSON and forms alike', async () => {
    // MAX_BODY_DEPTH levels: the body is read (and refused for what it says, not its shape).
    const atLimit = await call(admin, 'POST', '/plugins', `{"name":"secret-test","config":{"client_id":"c","x":${nestedObjects(MAX_BODY_DEPTH - 2)}}}`, JSON_TYPE);
    assert.equal(atLimit.status, 400);
    assert.equal(atLimit.body.error_code, 'GH-ADMIN-SCHEMA');
    assert.deepEqual(Object.keys(atLimit.body.fields.config), ['x']);
    const overLimit = await call(admin, 'POST', '/plugins', `{"name":"secret-test","config":{"client_id":"c","x":${nestedObjects(MAX_BODY_DEPTH - 1)}}}`, JSON_TYPE);
    assert.equal(overLimit.body.error_code, 'GH-ADMIN-BODY-TOO-DEEP');

    const formAtLimit = await call(admin, 'POST', '/plugins', `name=secret-test&config.client_id=c&config${'.x'.repeat(MAX_BODY_DEPTH - 1)}=1`);
    assert.equal(formAtLimit.body.error_code, 'GH-ADMIN-SCHEMA');
    const formOverLimit = await call(admin, 'POST', '/plugins', `name=secret-test&config.client_id=c&config${'.x'.repeat(MAX_BODY_DEPTH)}=1`);
    assert.equal(formOverLimit.body.error_code, 'GH-ADMIN-BODY-TOO-DEEP');
  });

  it('refuses more fields than the stated limit with 400, JSON or form, writing nothing', async () => {
    const counts = await countAll(admin.db);
    const manyTags = { name: 'many', host: 'h.internal', tags: Array.from({ length: MAX_BODY_FIELDS }, (_, i) => `t${i}`) };
    const manyKeys = Object.fromEntries(Array.from({ length: MAX_BODY_FIELDS + 1 }, (_, i) => [`k${i}`, 1]));
    const manyForm = Array.from({ length: MAX_BODY_FIELDS + 1 }, (_, i) => `tags=t${i}`).join('&');
    // Each nested form field is several fields once built.
    const nestedForm = Array.from({ length: 600 }, (_, i) => `config.k${i}.a=1`).join('&');
    for (const [body, headers] of [
      [JSON.stringify(manyTags), JSON_TYPE],
      [JSON.stringify(manyKeys), JSON_TYPE],
      [manyForm, {}],
      [nestedForm, {}],
    ] as const) {
      for (const [method, path] of WRITES) {
        const answer = await call(admin, method, path, body, headers);
        assert.equal(answer.status, 400, `${method} ${path}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.error_code, 'GH-ADMIN-BODY-TOO-MANY-FIELDS');
        assert.match(answer.body.message, new RegExp(`more than ${MAX_BODY_FIELDS} fields`));
      }
    }
    assert.deepEqual(await countAll(admin.db), counts);
    // Up to the limit, the body is read as usual.
    const fewer = await call(admin, 'POST', '/services', { name: 'many', host: 'h.internal', tags: Array.from({ length: MAX_BODY_FIELDS - 10 }, (_, i) => `t${i}`) });
    assert.equal(fewer.status, 201);
  });
});

describe('Admin API: onChange', () => {
  it('is awaited before the response goes out', async () => {
    let reloaded = false;
    const admin = await startAdmin({
      onChange: async () => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        reloaded = true;
      },
    });
    try {
      const created = await call(admin, 'POST', '/services', { name: 'awaited', host: 'a.internal' });
      assert.equal(created.status, 201);
      assert.equal(reloaded, true);
      reloaded = false;
      await call(admin, 'GET', '/services/awaited');
      assert.equal(reloaded, false, 'reads do not reload');
    } finally {
      await admin.close();
    }
  });

  it('keeps a committed write when reloading fails, and says so in the log only', async () => {
    const admin = await startAdmin({
      onChange: () => {
        throw new Error('reload failed');
      },
    });
    try {
      const created = await call(admin, 'POST', '/consumers', { username: 'kept' });
      assert.equal(created.status, 201);
      assert.equal(admin.changes(), 1);
      assert.equal((await call(admin, 'GET', '/consumers/kept')).status, 200);
    } finally {
      await admin.close();
    }
  });
});

describe('Admin API: default plugins', () => {
  it("offers the gateway's plugin registry when no other is given", async () => {
    const db = await openDatabase('sqlite::memory:');
    await migrateToLatest(db);
    const app = createAdminServer({ db, keyRing: KeyRing.fromSecrets(KEYS), log: silentLogger(), onChange: () => undefined, adminToken: ADMIN_TOKEN });
    try {
      const url = await app.listen({ host: '127.0.0.1', port: 0 });
      const enabled = await call({ url }, 'GET', '/plugins/enabled');
      assert.deepEqual(enabled.body.enabled_plugins, [...pluginRegistry.keys()].sort());
    } finally {
      await app.close();
      await db.destroy();
    }
  });
});
