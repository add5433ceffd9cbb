import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CookieJar, browserFetch, parseForm } from '../../testkit/browser-flow.js';
import { startStack, type Stack } from '../support/stack.js';
import { OWNER_PASSWORD } from '../sign-in/support.js';
import { addNativeUser, createNativeOrganization } from './support.js';

/**
 * One model for who sees which gateway entities: each belongs to the organization
 * whose user created it, or to the operator (the bootstrap token). What a person's
 * Gateway pages list is exactly what the Admin API gives that person: their
 * organization's entities, never the operator's or another organization's.
 */

const KINDS = ['services', 'routes', 'plugins', 'consumers'] as const;

describe('gateway entities: the console shows what the Admin API lets a person see', () => {
  let stack: Stack;
  let consoleUrl: string;
  let acme: { id: string; ownerEmail: string };
  const tokens: Record<string, string> = {};

  /** A personal access token of a native user, made through their own session as a person would. */
  async function tokenOf(loginPath: string, email: string, password: string): Promise<string> {
    const signIn = await fetch(`${stack.proxy}/login/${loginPath}/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email, password }),
    });
    const cookie = signIn.headers.getSetCookie().find((value) => value.startsWith('gatehouse_session='))!.split(';')[0]!;
    const created = await fetch(`${stack.admin}/me/tokens`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-gatehouse-csrf': '1' },
      body: JSON.stringify({ name: 'set-up' }),
    });
    assert.equal(created.status, 201);
    return ((await created.json()) as { token: string }).token;
  }

  async function as(token: string, method: string, path: string, body?: unknown): Promise<any> {
    const response = await fetch(`${stack.admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  before(async () => {
    stack = await startStack();
    consoleUrl = stack.gatehouse.consoleUrl;
    acme = await createNativeOrganization(stack, 'acme', 'Acme');
    const globex = await createNativeOrganization(stack, 'globex', 'Globex');
    await addNativeUser(stack, acme.id, 'viewer@acme.example', 'viewer-password-0123456789', ['Viewer']);
    tokens.acme = await tokenOf('acme', acme.ownerEmail, OWNER_PASSWORD);
    tokens.globex = await tokenOf('globex', globex.ownerEmail, OWNER_PASSWORD);

    // The operator's (bootstrap token), Acme's and Globex's entities side by side.
    await stack.adminCall('PUT', '/services/operator-app', { url: stack.upstream.url });
    await stack.adminCall('PUT', '/routes/operator-route', { paths: ['/operator'], service: { name: 'operator-app' } });
    await stack.adminCall('POST', '/routes/operator-route/plugins', { name: 'acl', config: { allow: ['operators'] } });
    await stack.adminCall('POST', '/consumers', { username: 'operator-robot' });
    await as(tokens.acme!, 'PUT', '/services/acme-app', { url: stack.upstream.url });
    await as(tokens.acme!, 'PUT', '/routes/acme-route', { paths: ['/acme-app'], service: { name: 'acme-app' } });
    await as(tokens.acme!, 'POST', '/routes/acme-route/plugins', { name: 'sso', config: { organization: 'acme' } });
    await as(tokens.acme!, 'POST', '/consumers', { username: 'acme-robot' });
    await as(tokens.globex!, 'PUT', '/services/globex-app', { url: stack.upstream.url });
    await as(tokens.globex!, 'PUT', '/routes/globex-route', { paths: ['/globex-app'], service: { name: 'globex-app' } });
  });
  after(() => stack?.close());

  /** A console session for a native user, through the sign-in form. */
  async function consoleAs(email: string, password: string): Promise<CookieJar> {
    const jar = new CookieJar();
    const page = await browserFetch(jar, `${consoleUrl}/`);
    const form = parseForm(await page.text(), new URL(consoleUrl))!;
    const signIn = await browserFetch(jar, `${consoleUrl}/sign-in`, {
      form: { ...form.fields, organization: 'acme', email, password, method: 'password' },
    });
    assert.equal(signIn.status, 303);
    return jar;
  }

  /** The ids the Admin API lists for a caller, by kind. */
  async function apiIds(token: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const kind of KINDS) out[kind] = ((await as(token, 'GET', `/${kind}`)).data as Array<{ id: string }>).map((entity) => entity.id).sort();
    return out;
  }

  /** The ids a console list page links to (`/gateway/{kind}/{id}`). */
  async function consoleIds(jar: CookieJar, kind: string): Promise<string[]> {
    const response = await browserFetch(jar, `${consoleUrl}/gateway/${kind}`);
    assert.equal(response.status, 200);
    const html = await response.text();
    const ids = new Set([...html.matchAll(new RegExp(`href="/gateway/${kind}/([0-9a-f-]{36})"`, 'g'))].map((match) => match[1]!));
    return [...ids].sort();
  }

  it('an Organization Admin sees exactly their organization’s entities, in the API and in the console', async () => {
    const api = await apiIds(tokens.acme!);
    for (const kind of KINDS) assert.equal(api[kind]!.length, 1, `${kind}: Acme has one, the operator and Globex theirs`);
    const jar = await consoleAs(acme.ownerEmail, OWNER_PASSWORD);
    for (const kind of KINDS) assert.deepEqual(await consoleIds(jar, kind), api[kind], kind);
    const overview = await (await browserFetch(jar, `${consoleUrl}/gateway`)).text();
    assert.deepEqual([...overview.matchAll(/<p class="gw-count">(\d+)<\/p>/g)].map((match) => Number(match[1])), [1, 1, 1, 1]);
    assert.doesNotMatch(overview, /operator-route|globex-route/);
  });

  it('a Viewer of the organization sees the same, and the operator sees everything', async () => {
    const viewerToken = await tokenOf('acme', 'viewer@acme.example', 'viewer-password-0123456789');
    const api = await apiIds(viewerToken);
    assert.deepEqual(api, await apiIds(tokens.acme!));
    const jar = await consoleAs('viewer@acme.example', 'viewer-password-0123456789');
    for (const kind of KINDS) assert.deepEqual(await consoleIds(jar, kind), api[kind], kind);
    const everything = (await stack.adminCall('GET', '/routes')).data as Array<{ name: string; organization?: { id: string } }>;
    assert.deepEqual(everything.map((route) => route.name).sort(), ['acme-route', 'globex-route', 'operator-route']);
    assert.deepEqual(everything.find((route) => route.name === 'acme-route')!.organization, { id: acme.id });
    assert.equal(everything.find((route) => route.name === 'operator-route')!.organization, undefined);
  });
});
