import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NAME_MAX_LENGTH } from '../../src/schema/name.js';
import { call, type Answer, type TestAdmin } from './helpers.js';
import { addUser, createOrg, sessionHeaders, startIdentityAdmin, type TestOrganization } from './identity-helpers.js';

/**
 * Every name field follows one rule (src/schema/name.ts): a length limit and no
 * control characters. Each refusal is a 400 naming the field, and writes nothing.
 */

const CONTROL_CHARACTERS: Array<[string, string]> = [
  ['CR LF', 'a\r\nX-Injected: 1'],
  ['LF', 'a\nb'],
  ['NUL', 'a\u0000b'],
  ['tab', 'a\tb'],
  ['ESC', 'a\u001b[31mb'],
  ['DEL', 'a\u007fb'],
  ['NEL (C1)', 'a\u0085b'],
  ['CSI (C1)', 'a\u009bb'],
  ['line separator', 'a\u2028b'],
  ['paragraph separator', 'a\u2029b'],
];

interface NameField {
  /** What the test says: `POST /consumers custom_id`. */
  label: string;
  method: string;
  path: () => string;
  field: string;
  /** The rest of a body that would be accepted with a good name in `field`. */
  body: (name: unknown) => Record<string, unknown>;
  /** Longest accepted name. */
  max: number;
  headers?: () => Record<string, string>;
}

describe('Admin API: names', () => {
  let admin: TestAdmin;
  let org: TestOrganization;
  let user: { id: string };

  before(async () => {
    admin = await startIdentityAdmin();
    org = await createOrg(admin, 'Names');
    user = await addUser(admin, org.id, 'named@names.example', ['Viewer']);
    assert.equal((await call(admin, 'PUT', '/consumers/existing', { custom_id: 'existing-1' })).status, 200);
    assert.equal((await call(admin, 'PUT', '/services/named', { host: 'named.internal' })).status, 200);
  });
  after(() => admin.close());

  const FIELDS: NameField[] = [
    { label: 'POST /consumers username', method: 'POST', path: () => '/consumers', field: 'username', body: (name) => ({ username: name }), max: NAME_MAX_LENGTH },
    { label: 'POST /consumers custom_id', method: 'POST', path: () => '/consumers', field: 'custom_id', body: (name) => ({ custom_id: name }), max: NAME_MAX_LENGTH },
    { label: 'PATCH /consumers/{x} custom_id', method: 'PATCH', path: () => '/consumers/existing', field: 'custom_id', body: (name) => ({ custom_id: name }), max: NAME_MAX_LENGTH },
    { label: 'POST /services name', method: 'POST', path: () => '/services', field: 'name', body: (name) => ({ name, host: 'h.internal' }), max: NAME_MAX_LENGTH },
    { label: 'POST /routes name', method: 'POST', path: () => '/routes', field: 'name', body: (name) => ({ name, paths: ['/n'] }), max: NAME_MAX_LENGTH },
    { label: 'PATCH /services/{x} tags', method: 'PATCH', path: () => '/services/named', field: 'tags', body: (name) => ({ tags: [name] }), max: NAME_MAX_LENGTH },
    { label: 'POST /plugins name', method: 'POST', path: () => '/plugins', field: 'name', body: (name) => ({ name, config: { allow: ['a'] } }), max: NAME_MAX_LENGTH },
    { label: 'POST /organizations name', method: 'POST', path: () => '/organizations', field: 'name', body: (name) => ({ name, login_path: 'named-org', owner_email: 'o@named.example' }), max: 100 },
    { label: 'POST /organizations owner_name', method: 'POST', path: () => '/organizations', field: 'owner_name', body: (name) => ({ name: 'Named Org', login_path: 'named-org', owner_email: 'o@named.example', owner_name: name }), max: 200 },
    { label: 'PATCH /organizations/{org} name', method: 'PATCH', path: () => `/organizations/${org.id}`, field: 'name', body: (name) => ({ name }), max: 100 },
    { label: 'POST …/roles name', method: 'POST', path: () => `/organizations/${org.id}/roles`, field: 'name', body: (name) => ({ name }), max: 100 },
    { label: 'POST …/role-mappings group', method: 'POST', path: () => `/organizations/${org.id}/role-mappings`, field: 'group', body: (name) => ({ group: name, role: 'Viewer' }), max: 255 },
    { label: 'POST …/users name', method: 'POST', path: () => `/organizations/${org.id}/users`, field: 'name', body: (name) => ({ email: 'new@names.example', name }), max: 200 },
    { label: 'PATCH …/users/{user} name', method: 'PATCH', path: () => `/organizations/${org.id}/users/${user.id}`, field: 'name', body: (name) => ({ name }), max: 200 },
    {
      label: 'POST /me/tokens name',
      method: 'POST',
      path: () => '/me/tokens',
      field: 'name',
      body: (name) => ({ name }),
      max: 100,
      headers: () => sessionHeaders(user, org.id),
    },
  ];

  /** Everything a name could have been written into. */
  async function dump(): Promise<string> {
    const tables = ['services', 'routes', 'plugins', 'consumers', 'organizations', 'users', 'roles', 'role_mappings', 'access_tokens', 'audit_log'] as const;
    const rows: Record<string, unknown[]> = {};
    for (const table of tables) rows[table] = await admin.db.selectFrom(table).selectAll().execute();
    return JSON.stringify(rows);
  }

  async function send(field: NameField, body: Record<string, unknown> | string): Promise<Answer> {
    return call(admin, field.method, field.path(), body, field.headers?.() ?? {});
  }

  function fieldMessage(answer: Answer, field: string): string {
    const value = answer.body.fields?.[field];
    return Array.isArray(value) ? value[0] : value;
  }

  for (const field of FIELDS) {
    it(`${field.label}: refuses control characters and overlong names with 400 naming the field, writing nothing`, async () => {
      const before = await dump();
      for (const [what, name] of CONTROL_CHARACTERS) {
        for (const body of [field.body(name), new URLSearchParams(flatForm(field.body(name))).toString()]) {
          const answer = await send(field, body);
          assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
          assert.equal(answer.body.error_code, 'GH-ADMIN-SCHEMA');
          assert.match(fieldMessage(answer, field.field) ?? '', /must not contain control characters \(found U\+[0-9A-F]{4} at position \d+\)/, `${what}: ${JSON.stringify(answer.body)}`);
        }
      }
      for (const name of ['x'.repeat(field.max + 1), 'x'.repeat(100_000)]) {
        const answer = await send(field, field.body(name));
        assert.equal(answer.status, 400, JSON.stringify(answer.body).slice(0, 300));
        assert.equal(fieldMessage(answer, field.field), `length must be at most ${field.max}`);
        assert.ok(JSON.stringify(answer.body).length < 2000, 'the answer does not quote the name');
      }
      assert.equal(await dump(), before);
    });
  }

  const INVISIBLE: Array<[string, string]> = [
    ['zero-width space', 'a\u200bb'],
    ['zero-width joiner', 'a\u200db'],
    ['left-to-right mark', 'a\u200eb'],
    ['right-to-left override', '\u202etoor'],
    ['first strong isolate', 'a\u2068b\u2069'],
    ['word joiner', 'a\u2060b'],
    ['byte order mark', 'ad\ufeffmin'],
  ];

  for (const field of FIELDS) {
    it(`${field.label}: refuses invisible and text-direction characters${field.max === 200 ? '' : ', and names of spaces only'}`, async () => {
      const before = await dump();
      for (const [what, name] of INVISIBLE) {
        const answer = await send(field, field.body(name));
        assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
        assert.match(fieldMessage(answer, field.field) ?? '', /must not contain invisible or text-direction characters \(found U\+[0-9A-F]{4}/, what);
      }
      if (field.max !== 200) {
        // People's display names may be empty; every other name needs something to read.
        const blank = await send(field, field.body('   '));
        assert.equal(blank.status, 400, JSON.stringify(blank.body));
      }
      assert.equal(await dump(), before);
    });
  }

  it('acl: allow and deny lists are group names under the same rule', async () => {
    for (const bad of ['a\u0000b', '\u202eadmins', '']) {
      const answer = await call(admin, 'POST', '/plugins', { name: 'acl', service: { name: 'named' }, config: { allow: [bad] } });
      assert.equal(answer.status, 400, JSON.stringify(bad));
      assert.ok(answer.body.fields.config.allow, JSON.stringify(answer.body));
    }
  });

  it('accepts names up to the limit, with letters from any script', async () => {
    const longest = 'é'.repeat(NAME_MAX_LENGTH);
    const created = await call(admin, 'POST', '/consumers', { username: longest, custom_id: 'Zoë 🙂 – 名前' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.username, longest);
    const role = await call(admin, 'POST', `/organizations/${org.id}/roles`, { name: `  ${'r'.repeat(100)}  ` });
    assert.equal(role.status, 201, 'surrounding spaces of identity-side names are trimmed before the length is checked');
    assert.equal(role.body.name, 'r'.repeat(100));
    const person = await call(admin, 'PATCH', `/organizations/${org.id}/users/${user.id}`, { name: '' });
    assert.equal(person.status, 200, 'a person’s display name may be empty');
  });

  it('refuses control characters in emails (they go upstream in X-Gatehouse-Email)', async () => {
    const before = await dump();
    const answer = await call(admin, 'POST', `/organizations/${org.id}/users`, { email: 'a\u0000b@names.example' });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.fields.email, 'must not contain control characters');
    assert.equal(await dump(), before);
  });

  it('names an unknown plugin only when its name is a name', async () => {
    const unknown = await call(admin, 'POST', '/plugins', { name: 'no-such-plugin' });
    assert.match(unknown.body.fields.name, /^plugin 'no-such-plugin' is not available/);
    const broken = await call(admin, 'POST', '/plugins', { name: 'x\r\n'.repeat(80) });
    assert.match(broken.body.fields.name, /^must not contain control characters/);
    assert.ok(JSON.stringify(broken.body).length < 2000);
  });
});

/** A JSON body as form pairs (`tags` lists become repeated keys). */
function flatForm(body: Record<string, unknown>): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value)) for (const item of value) pairs.push([key, String(item)]);
    else if (value !== null && typeof value === 'object') for (const [inner, item] of Object.entries(value)) pairs.push([`${key}.${inner}`, String(item)]);
    else pairs.push([key, String(value)]);
  }
  return pairs;
}
