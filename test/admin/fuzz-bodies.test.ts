import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { adminEndpoints } from '../../src/admin/endpoints.js';
import { startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import type { ConnectionTester } from '../../src/identity/identity-settings-deps.js';
import { createLogger } from '../../src/log.js';
import { testIdentityConnection } from '../../src/okta/connection-test.js';
import { isLoopbackHost } from '../../src/oidc/loopback.js';
import { BOOTSTRAP, call, type TestAdmin } from './helpers.js';
import { addUser, createOrg, sessionHeaders, startIdentityAdmin, tokenFor } from './identity-helpers.js';

/**
 * Random and adversarial bodies against every write endpoint of the Admin API, as
 * Fastify registered them: no answer is ever a 5xx, every 4xx says what is wrong
 * (`error_code`, `message`), and after a 4xx the database holds exactly what it held
 * before. Bodies come from fast-check: valid bodies with fields dropped, replaced or
 * added (control characters, huge strings, wrong types, prototype keys, unicode,
 * nesting past the limits), the same as forms with hostile keys, random JSON of any
 * shape, and bytes that are no JSON at all.
 *
 * Seeded: the seed is printed with every failure; GATEHOUSE_FUZZ_SEED=<seed> runs the
 * same bodies again, GATEHOUSE_FUZZ_RUNS=<n> changes how many each endpoint gets.
 */

const SEED = Number(process.env.GATEHOUSE_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.GATEHOUSE_FUZZ_RUNS ?? 30);
/** DELETE answers 204 whatever the body, so each run costs re-creating what it deleted. */
const DELETE_RUNS = Math.max(1, Math.ceil(RUNS / 3));

const SECRET = 'gatehouse-demo-secret';
const PASSWORD = 'Fuzz-Passw0rd-long-enough';
const PLUGIN_IDS = {
  global: '6f0c3c1e-0000-4000-8000-000000000001',
  service: '6f0c3c1e-0000-4000-8000-000000000002',
  route: '6f0c3c1e-0000-4000-8000-000000000003',
  consumer: '6f0c3c1e-0000-4000-8000-000000000004',
} as const;
const SECRET_PLUGIN = { name: 'secret-test', config: { client_id: 'c', api_key: 'key-1', keys: ['k1', 'k2'], nested: { token: 't', label: 'l' }, retries: 2 } };

// ---------------------------------------------------------------------------------
// What is sent

interface Body {
  contentType: string | undefined;
  text: string;
  /** How the body was made, for the failure message. */
  kind: string;
}

const CONTROL = ['\r\n', '\n', '\r', '\u0000', '\t', '\u001b', '\u007f', '\u0085', '\u009b', '\u2028', '\u2029'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/** `{a:{a:…}}` or `[[…]]`, built without recursion. */
function nested(depth: number, list: boolean, inner: unknown = 1): unknown {
  let value = inner;
  for (let level = 0; level < depth; level += 1) value = list ? [value] : { a: value };
  return value;
}

/** Sets a key as an own, enumerable property, `__proto__` included, so JSON.stringify sends it. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '', ' ', '  padded  ', '[redacted]', 'null', 'true', 'false', '0', '-1', '1e999', '0x10', '%zz', '%00', '../..', '/', '//', '~/(', '~/a', '*', '*.*',
    'http://x', 'https://127.0.0.1:1/', 'http://127.0.0.1:1/x?y#z', 'javascript:alert(1)', '<script>alert(1)</script>', "'; drop table services; --",
    '00000000-0000-0000-0000-000000000000', PLUGIN_IDS.global, 'Viewer', 'Organization Admin', 'openid', 'GET', 'fz-svc', 'fz-route', 'fz-consumer',
    'secret-test', 'acl', 'openid-connect', 'okta', 'oidc', 'active', 'deactivated', '\ud800', 'é', '🙂', 'İ', 'ß', '\u202eevil', '\ufeff',
  ),
  fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...CONTROL), fc.string({ maxLength: 8 })).map(([a, control, b]) => a + control + b),
  // Past every length limit; the body limit (1 MiB) stays well away.
  fc.integer({ min: 101, max: 300_000 }).map((length) => 'n'.repeat(length)),
);

const nastyScalar = fc.oneof(
  { weight: 5, arbitrary: nastyString },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 65536, 2 ** 31, 2 ** 53 + 2, -1e308, 1e308) },
);

const deepValue = fc.tuple(fc.integer({ min: 1, max: 80 }), fc.boolean()).map(([depth, list]) => nested(depth, list));

const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: nastyScalar },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(nastyScalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom(...PROTOTYPE_KEYS)), nastyScalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: deepValue },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS).map((key) => { const value = {}; setOwn(value, key, { polluted: 'yes' }); return value; }) },
);

/** Every path to a value inside `base` (`['config', 'nested', 'token']`). */
function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return prefix.length > 0 ? [prefix] : [];
  return Object.entries(value).flatMap(([key, child]) => [...(prefix.length > 0 ? [prefix] : []), ...leafPaths(child, [...prefix, key])]);
}

function setAt(root: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) return;
    node = next as Record<string, unknown>;
  }
  setOwn(node, path.at(-1)!, value);
}

/** A valid body with fields dropped, replaced by hostile values, and added. */
function mutated(base: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
  const keys = Object.keys(base);
  const paths = leafPaths(base);
  const key = fc.oneof(
    ...(keys.length > 0 ? [fc.constantFrom(...keys)] : []),
    fc.constantFrom(...PROTOTYPE_KEYS, 'id', 'created_at', 'config', 'name', 'unknown_field', 'sso_enabled', 'owner', 'service', 'route', 'consumer'),
    fc.string({ maxLength: 10 }),
  );
  return fc
    .record({
      keep: fc.subarray(keys),
      changes: fc.array(fc.tuple(key, nastyValue), { maxLength: 3 }),
      deepChanges: paths.length > 0 ? fc.array(fc.tuple(fc.constantFrom(...paths), nastyValue), { maxLength: 2 }) : fc.constant([]),
    })
    .map(({ keep, changes, deepChanges }) => {
      const body = structuredClone(Object.fromEntries(keep.map((name) => [name, base[name]])));
      for (const [path, value] of deepChanges) setAt(body, path, value);
      for (const [name, value] of changes) setOwn(body, name, value);
      return body;
    });
}

/** A JSON value as Kong-style form pairs: dotted keys, repeated keys for lists, `key[n]` for objects in lists. */
function formPairs(value: unknown, prefix = ''): Array<[string, string]> {
  if (Array.isArray(value)) {
    return value.flatMap((item, index) => (item !== null && typeof item === 'object' ? formPairs(item, `${prefix}[${index + 1}]`) : formPairs(item, prefix)));
  }
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => formPairs(child, prefix === '' ? key : `${prefix}.${key}`));
  }
  return [[prefix === '' ? 'value' : prefix, value === null ? '' : String(value)]];
}

const formKey = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('a..b', '.a', 'a.', '[]', 'a[', 'a]', 'a[x]', 'a[0]b', 'a[-1]', 'a[99999999999999999999]', '__proto__.polluted', 'constructor.prototype.polluted',
    'config[0]', 'name[]', 'name.x', 'config', 'config.', 'tags[1][2]', 'paths[]', 'service.name', 'owner.email'),
  fc.integer({ min: 1, max: 120 }).map((depth) => 'a' + '.a'.repeat(depth)),
  fc.integer({ min: 1, max: 120 }).map((depth) => 'a' + '[0]'.repeat(depth)),
);

function formBody(base: Record<string, unknown>): fc.Arbitrary<Body> {
  return fc
    .tuple(mutated(base), fc.array(fc.tuple(formKey, fc.oneof(nastyString, fc.constant(''))), { maxLength: 4 }), fc.constantFrom('', '&', '&&=x', '&%zz=1', '&a=%E0%A4%A'))
    .map(([body, extra, tail]) => ({
      contentType: 'application/x-www-form-urlencoded',
      text: new URLSearchParams([...formPairs(body).filter(([key]) => key !== 'value'), ...extra]).toString() + tail,
      kind: 'form',
    }));
}

const json = (value: unknown, kind: string): Body => ({ contentType: 'application/json', text: JSON.stringify(value) ?? 'null', kind });

/** Bodies for an endpoint whose valid body is `base`. */
function bodies(base: Record<string, unknown>): fc.Arbitrary<Body> {
  const paths = leafPaths(base);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(json(base, 'valid JSON')) },
    {
      // One field off: gets past the other checks, so it reaches deeper code.
      weight: 5,
      arbitrary: fc
        .tuple(paths.length > 0 ? fc.constantFrom(...paths) : fc.constant(['unknown_field']), nastyValue)
        .map(([path, value]) => {
          const body = structuredClone(base);
          setAt(body, path, value);
          return json(body, `valid JSON but ${path.join('.')}`);
        }),
    },
    { weight: 6, arbitrary: mutated(base).map((body) => json(body, 'mutated JSON')) },
    { weight: 4, arbitrary: formBody(base) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => json(value, 'random JSON')) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.boolean()).map(([depth, list]) => ({
        contentType: 'application/json',
        text: list ? '['.repeat(depth) + ']'.repeat(depth) : '{"config":'.repeat(depth) + '{}' + '}'.repeat(depth),
        kind: `JSON ${depth} deep`,
      })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 900, max: 1500 }).map((count) => json({ ...base, tags: Array.from({ length: count }, (_, i) => `t${i}`) }, `${count} list items`)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', undefined, 'application/json; charset=utf-16', 'multipart/form-data; boundary=x'),
        )
        .map(([text, contentType]) => ({ contentType, text, kind: `raw ${contentType ?? 'untyped'}` })),
    },
  );
}

// ---------------------------------------------------------------------------------
// The endpoints

interface Fixture {
  orgId: string;
  ownerId: string;
  memberEmail: string;
  mappingId: string;
  tokenId: string;
}

interface EndpointCase {
  /** A body the endpoint accepts (or would, in the right state). */
  base: (fx: Fixture) => Record<string, unknown>;
  /** The path with its parameters filled in from the fixtures. */
  path: (fx: Fixture) => string;
  /** Another caller than the bootstrap token. */
  headers?: (fx: Fixture) => Record<string, string>;
}

const service = { name: 'fz-new-svc', url: 'http://new.internal:8080/p', retries: 3, tags: ['fuzz'] };
const route = { name: 'fz-new-route', paths: ['/new', '~/re$'], methods: ['GET', 'POST'], hosts: ['a.example'], strip_path: false, service: { name: 'fz-svc' } };
const consumer = { username: 'fz-new-consumer', custom_id: 'c-1', tags: ['fuzz'] };
const pluginUpdate = { config: { client_id: 'c2', api_key: '[redacted]', keys: ['[redacted]', 'k3'], nested: { token: '[redacted]' } }, enabled: false };
const settings = (idp: DevIdp) => ({ provider: 'okta', okta_domain: idp.origin, client_id: 'gatehouse-demo', client_secret: SECRET, scopes: 'openid profile email', single_logout: true });
const org = (fx: Fixture) => `/organizations/${fx.orgId}`;

function endpointCases(idp: DevIdp): Record<string, EndpointCase> {
  const gateway = (path: string, base: Record<string, unknown>): EndpointCase => ({ path: () => path, base: () => base });
  return {
    'POST /services': gateway('/services', service),
    'PATCH /services/:service': gateway('/services/fz-svc', { host: 'b.internal', port: 81, tags: ['x'] }),
    'PUT /services/:service': gateway('/services/fz-svc', { host: 'fz.internal', path: '/put' }),
    'DELETE /services/:service': gateway('/services/fz-svc', {}),
    'POST /services/:service/routes': gateway('/services/fz-svc/routes', { name: 'fz-nested-route', paths: ['/nested'] }),
    'PATCH /services/:service/routes/:route': gateway('/services/fz-svc/routes/fz-route', { paths: ['/fz', '/fz2'], preserve_host: true }),
    'PUT /services/:service/routes/:route': gateway('/services/fz-svc/routes/fz-route', { paths: ['/fz'] }),
    'DELETE /services/:service/routes/:route': gateway('/services/fz-svc/routes/fz-route', {}),
    'POST /services/:service/plugins': gateway('/services/fz-svc/plugins', { name: 'acl', config: { allow: ['g'] } }),
    'PATCH /services/:service/plugins/:plugin': gateway(`/services/fz-svc/plugins/${PLUGIN_IDS.service}`, pluginUpdate),
    'PUT /services/:service/plugins/:plugin': gateway(`/services/fz-svc/plugins/${PLUGIN_IDS.service}`, SECRET_PLUGIN),
    'DELETE /services/:service/plugins/:plugin': gateway(`/services/fz-svc/plugins/${PLUGIN_IDS.service}`, {}),
    'POST /routes': gateway('/routes', route),
    'PATCH /routes/:route': gateway('/routes/fz-route', { hosts: ['b.example'], regex_priority: 2 }),
    'PUT /routes/:route': gateway('/routes/fz-route', { paths: ['/fz'], service: { name: 'fz-svc' } }),
    'DELETE /routes/:route': gateway('/routes/fz-route', {}),
    'PATCH /routes/:route/service': gateway('/routes/fz-route/service', { read_timeout: 1000 }),
    'PUT /routes/:route/service': gateway('/routes/fz-route/service', { host: 'fz.internal' }),
    'POST /routes/:route/plugins': gateway('/routes/fz-route/plugins', { name: 'acl', config: { deny: ['g'] } }),
    'PATCH /routes/:route/plugins/:plugin': gateway(`/routes/fz-route/plugins/${PLUGIN_IDS.route}`, pluginUpdate),
    'PUT /routes/:route/plugins/:plugin': gateway(`/routes/fz-route/plugins/${PLUGIN_IDS.route}`, SECRET_PLUGIN),
    'DELETE /routes/:route/plugins/:plugin': gateway(`/routes/fz-route/plugins/${PLUGIN_IDS.route}`, {}),
    'POST /consumers': gateway('/consumers', consumer),
    'PATCH /consumers/:consumer': gateway('/consumers/fz-consumer', { custom_id: 'c-2' }),
    'PUT /consumers/:consumer': gateway('/consumers/fz-consumer', { custom_id: 'c-3', tags: null }),
    'DELETE /consumers/:consumer': gateway('/consumers/fz-consumer', {}),
    'POST /consumers/:consumer/plugins': gateway('/consumers/fz-consumer/plugins', { name: 'acl', config: { allow: ['g'] } }),
    'PATCH /consumers/:consumer/plugins/:plugin': gateway(`/consumers/fz-consumer/plugins/${PLUGIN_IDS.consumer}`, pluginUpdate),
    'PUT /consumers/:consumer/plugins/:plugin': gateway(`/consumers/fz-consumer/plugins/${PLUGIN_IDS.consumer}`, SECRET_PLUGIN),
    'DELETE /consumers/:consumer/plugins/:plugin': gateway(`/consumers/fz-consumer/plugins/${PLUGIN_IDS.consumer}`, {}),
    'POST /plugins': gateway('/plugins', { ...SECRET_PLUGIN, route: { name: 'fz-route' }, service: { name: 'fz-svc' }, tags: ['p'] }),
    'PATCH /plugins/:plugin': gateway(`/plugins/${PLUGIN_IDS.global}`, pluginUpdate),
    'PUT /plugins/:plugin': gateway(`/plugins/${PLUGIN_IDS.global}`, SECRET_PLUGIN),
    'DELETE /plugins/:plugin': gateway(`/plugins/${PLUGIN_IDS.global}`, {}),

    'POST /organizations': {
      path: () => '/organizations',
      base: () => ({ name: 'Fuzz New', login_path: 'fuzz-new', owner: { email: 'owner@new.example', name: 'New Owner', password: PASSWORD } }),
    },
    'PATCH /organizations/:org': { path: org, base: () => ({ name: 'Fuzz Renamed', login_path: 'fuzz-renamed', sso_enabled: false }) },
    'DELETE /organizations/:org': { path: org, base: () => ({}) },
    // Test Configuration first: a passing test lets the PUT that follows save.
    'POST /organizations/:org/identity/test': { path: (fx) => `${org(fx)}/identity/test`, base: () => settings(idp) },
    'PUT /organizations/:org/identity': { path: (fx) => `${org(fx)}/identity`, base: () => settings(idp) },
    'PATCH /organizations/:org/identity': { path: (fx) => `${org(fx)}/identity`, base: () => ({ single_logout: true, sync_interval_seconds: 600 }) },
    'POST /organizations/:org/identity/enable': { path: (fx) => `${org(fx)}/identity/enable`, base: () => ({ confirm: true }) },
    'POST /organizations/:org/users': {
      path: (fx) => `${org(fx)}/users`,
      base: () => ({ email: 'new@fuzz.example', name: 'New', password: PASSWORD, roles: ['Viewer', 'Gateway Admin'] }),
    },
    'PATCH /organizations/:org/users/:user': {
      path: (fx) => `${org(fx)}/users/${encodeURIComponent(fx.memberEmail)}`,
      base: () => ({ name: 'Member', status: 'active', roles: ['Viewer'] }),
    },
    'POST /organizations/:org/roles': { path: (fx) => `${org(fx)}/roles`, base: () => ({ name: 'Fuzz Role', description: 'made by the fuzz test' }) },
    'POST /organizations/:org/role-mappings': { path: (fx) => `${org(fx)}/role-mappings`, base: () => ({ group: 'fz-group-new', role: 'Gateway Admin' }) },
    'DELETE /organizations/:org/role-mappings/:mapping': { path: (fx) => `${org(fx)}/role-mappings/${fx.mappingId}`, base: () => ({}) },
    'POST /me/tokens': { path: () => '/me/tokens', base: () => ({ name: 'fuzz', expires_in: 3600 }), headers: (fx) => sessionHeaders({ id: fx.ownerId }, fx.orgId) },
    'DELETE /me/tokens': { path: () => '/me/tokens', base: () => ({}), headers: (fx) => sessionHeaders({ id: fx.ownerId }, fx.orgId) },
    'DELETE /me/tokens/:id': { path: (fx) => `/me/tokens/${fx.tokenId}`, base: () => ({}), headers: (fx) => sessionHeaders({ id: fx.ownerId }, fx.orgId) },
  };
}

/** Which tables two dumps disagree on, with the first row that differs in each (shortened). */
function difference(before: string, after: string): string {
  const old = JSON.parse(before) as Record<string, unknown[]>;
  const now = JSON.parse(after) as Record<string, unknown[]>;
  const tables = [...new Set([...Object.keys(old), ...Object.keys(now)])];
  return tables
    .flatMap((table) => {
      const a = old[table] ?? [];
      const b = now[table] ?? [];
      const index = Array.from({ length: Math.max(a.length, b.length) }, (_, i) => i).find((i) => JSON.stringify(a[i]) !== JSON.stringify(b[i]));
      if (index === undefined) return [];
      return [`${table} row ${index}: ${JSON.stringify(a[index]) ?? 'none'} → ${JSON.stringify(b[index]) ?? 'none'}`.slice(0, 600)];
    })
    .join('; ');
}

/** Test Configuration for real, but only against loopback: a fuzzed domain must not reach the network. */
const loopbackConnectionTest: ConnectionTester = async (input, options) => {
  const target = input.provider === 'okta' ? (input.okta_domain ?? '') : (input.issuer ?? '');
  let host: string | undefined;
  try {
    host = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? target : `https://${target}`).hostname;
  } catch {
    host = undefined;
  }
  if (host === undefined || !isLoopbackHost(host)) {
    return { passed: false, message: 'not tested: the fuzz test reaches loopback only', checks: [{ name: 'discovery', passed: false, detail: 'not on loopback' }], issuer: target };
  }
  return testIdentityConnection(input, { ...options, timeoutMs: 3000 });
};

// ---------------------------------------------------------------------------------

describe('Admin API: fuzzed bodies on every write endpoint', () => {
  let admin: TestAdmin;
  let idp: DevIdp;
  let cases: Record<string, EndpointCase>;
  const errors: string[] = [];
  let fixture: Fixture;
  let organizations = 0;

  async function must(method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<any> {
    const answer = await call(admin, method, path, body, headers);
    if (answer.status >= 300) throw new Error(`fixture: ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** A gateway plugin of the fixture, at its scope; another one of the same name and scope is removed first. */
  async function ensurePlugin(id: string, scope: 'global' | 'service' | 'route' | 'consumer', serviceId: string, routeId: string, consumerId: string): Promise<void> {
    const want = { service_id: scope === 'service' ? serviceId : null, route_id: scope === 'route' ? routeId : null, consumer_id: scope === 'consumer' ? consumerId : null };
    const row = await admin.db.selectFrom('plugins').selectAll().where('id', '=', id).executeTakeFirst();
    if (row && row.name === 'secret-test' && row.service_id === want.service_id && row.route_id === want.route_id && row.consumer_id === want.consumer_id) return;
    let others = admin.db.selectFrom('plugins').select('id').where('name', '=', 'secret-test').where('id', '!=', id);
    for (const [column, value] of Object.entries(want) as Array<['service_id' | 'route_id' | 'consumer_id', string | null]>) {
      others = value === null ? others.where(column, 'is', null) : others.where(column, '=', value);
    }
    for (const other of await others.execute()) await must('DELETE', `/plugins/${other.id}`);
    const prefix = scope === 'global' ? '' : scope === 'service' ? '/services/fz-svc' : scope === 'route' ? '/routes/fz-route' : '/consumers/fz-consumer';
    await must('PUT', `${prefix}/plugins/${id}`, SECRET_PLUGIN);
  }

  /** Puts back whatever a successful write removed or moved, so every endpoint keeps something to act on. */
  async function ensureFixtures(): Promise<void> {
    const db = admin.db;
    let svc = await db.selectFrom('services').select('id').where('name', '=', 'fz-svc').executeTakeFirst();
    if (!svc) svc = await must('PUT', '/services/fz-svc', { host: 'fz.internal' });
    const rte = await db.selectFrom('routes').select(['id', 'service_id']).where('name', '=', 'fz-route').executeTakeFirst();
    const routeId = rte?.service_id === svc!.id ? rte.id : (await must('PUT', '/services/fz-svc/routes/fz-route', { paths: ['/fz'] })).id;
    let cons = await db.selectFrom('consumers').select('id').where('username', '=', 'fz-consumer').executeTakeFirst();
    if (!cons) cons = await must('PUT', '/consumers/fz-consumer', {});
    for (const scope of ['global', 'service', 'route', 'consumer'] as const) await ensurePlugin(PLUGIN_IDS[scope], scope, svc!.id, routeId, cons!.id);

    const organization = fixture ? await db.selectFrom('organizations').select(['id', 'sso_enabled']).where('id', '=', fixture.orgId).executeTakeFirst() : undefined;
    if (!organization || organization.sso_enabled) {
      // SSO cannot be turned off: an organization where the fuzz enabled it is replaced by a fresh one.
      if (organization) await must('DELETE', `/organizations/${organization.id}`);
      organizations += 1;
      const created = await createOrg(admin, `Fuzz ${organizations}`, `fuzz-${organizations}`, `owner${organizations}@fuzz.example`);
      fixture = { orgId: created.id, ownerId: created.owner.id, memberEmail: `member${organizations}@fuzz.example`, mappingId: '', tokenId: '' };
    }
    const member = await db.selectFrom('users').select('id').where('organization_id', '=', fixture.orgId).where('email', '=', fixture.memberEmail).executeTakeFirst();
    if (!member) await addUser(admin, fixture.orgId, fixture.memberEmail, ['Viewer']);
    const mapping = await db.selectFrom('role_mappings').select('id').where('id', '=', fixture.mappingId).executeTakeFirst();
    if (!mapping) fixture.mappingId = (await must('POST', `/organizations/${fixture.orgId}/role-mappings`, { group: `fz-group-${Date.now()}`, role: 'Viewer' })).id;
    const token = await db.selectFrom('access_tokens').select('id').where('id', '=', fixture.tokenId).where('revoked_at', 'is', null).executeTakeFirst();
    if (!token) fixture.tokenId = (await tokenFor(admin, { id: fixture.ownerId }, fixture.orgId)).id;
  }

  /** Every row of every table, in a stable order. */
  async function dump(): Promise<string> {
    const tables = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(admin.db);
    const rows: Record<string, unknown[]> = {};
    for (const { name } of tables.rows) rows[name] = (await sql`select * from ${sql.table(name)} order by rowid`.execute(admin.db)).rows;
    return JSON.stringify(rows);
  }

  /** Rows changed on the connection so far (rolled back ones included): when it has not moved, nothing can differ. */
  async function totalChanges(): Promise<number> {
    return Number((await sql<{ n: number }>`select total_changes() as n`.execute(admin.db)).rows[0]!.n);
  }

  before(async () => {
    idp = await startDevIdp({ port: 0 });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        const line = String(chunk);
        if (/"level":(50|60)/.test(line)) errors.push(line);
        done();
      },
    });
    admin = await startIdentityAdmin({ server: { log: createLogger({ level: 'error', destination: sink }), identityConnectionTest: loopbackConnectionTest } });
    cases = endpointCases(idp);
    await ensureFixtures();
  });
  after(async () => {
    await admin?.close();
    await idp?.close();
  });

  it('covers exactly the write endpoints Fastify registered', () => {
    const registered = adminEndpoints(admin.app)
      .filter((endpoint) => endpoint.method !== 'GET')
      .map((endpoint) => `${endpoint.method} ${endpoint.url}`)
      .sort();
    assert.ok(registered.length > 40, 'the catalogue holds the endpoints');
    assert.deepEqual(Object.keys(cases).sort(), registered, 'a new write endpoint needs a case here (a path and a valid body)');
  });

  it('never answers 5xx, explains every 4xx, and writes nothing on a 4xx', { timeout: 240_000 }, async (t) => {
    t.diagnostic(`seed ${SEED}, ${RUNS} runs per endpoint (GATEHOUSE_FUZZ_SEED / GATEHOUSE_FUZZ_RUNS)`);
    let current = await dump();
    let changes = await totalChanges();
    const statuses = new Map<string, Map<number, number>>();
    for (const [index, [name, endpoint]] of Object.entries(cases).entries()) {
      const method = name.split(' ')[0]!;
      let last = '';
      const property = fc.asyncProperty(
        bodies(endpoint.base(fixture)),
        fc.integer({ min: 0, max: 19 }).map((n) => n === 0),
        async (body, missing) => {
          const path = missing ? endpoint.path(fixture).replace(/\/[^/]+$/, '/fz-missing') : endpoint.path(fixture);
          const headers: Record<string, string> = { ...BOOTSTRAP, ...endpoint.headers?.(fixture) };
          if (headers.authorization === '') delete headers.authorization;
          if (body.contentType !== undefined) headers['content-type'] = body.contentType;
          errors.length = 0;
          const response = await fetch(`${admin.url}${path}`, { method, headers, body: body.contentType === undefined ? new TextEncoder().encode(body.text) : body.text });
          const text = await response.text();
          const seen = statuses.get(name) ?? new Map<number, number>();
          seen.set(response.status, (seen.get(response.status) ?? 0) + 1);
          statuses.set(name, seen);
          last = `${method} ${path} with ${body.kind} (${body.contentType ?? 'no content type'}) ${body.text.length > 300 ? `${body.text.slice(0, 300)}… (${body.text.length} characters)` : body.text}\n  → ${response.status} ${text.slice(0, 500)}${errors.length > 0 ? `\n  logged: ${errors.join('').slice(0, 1500)}` : ''}`;
          assert.ok(response.status < 500, `5xx: ${last}`);
          if (response.status >= 400) {
            const answer = JSON.parse(text) as { error_code?: unknown; message?: unknown };
            assert.equal(typeof answer.error_code, 'string', `a 4xx without error_code: ${last}`);
            assert.equal(typeof answer.message, 'string', `a 4xx without message: ${last}`);
          }
          const now = await totalChanges();
          if (now !== changes) {
            changes = now;
            const after = await dump();
            if (response.status >= 400 && after !== current) assert.fail(`a ${response.status} changed the database (${difference(current, after)}): ${last}`);
            current = after;
          }
          if (response.status < 300) {
            await ensureFixtures();
            changes = await totalChanges();
            current = await dump();
          }
        },
      );
      const result = await fc.check(property, { seed: SEED + index, numRuns: method === 'DELETE' ? DELETE_RUNS : RUNS, endOnFailure: true });
      if (result.failed) {
        const reason = result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance);
        const request = reason.includes(last) ? '' : `\n  last request: ${last}`;
        assert.fail(`${name}: ${reason}\n  reproduce with GATEHOUSE_FUZZ_SEED=${SEED} (this endpoint ran with seed ${SEED + index}, path ${result.counterexamplePath})${request}`);
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no body reached Object.prototype');
    for (const [name, seen] of statuses) t.diagnostic(`${name}: ${[...seen].sort(([a], [b]) => a - b).map(([status, count]) => `${count}×${status}`).join(' ')}`);
  });
});
