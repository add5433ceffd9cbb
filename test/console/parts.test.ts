import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { createConsoleServer } from '../../src/console/server.js';
import { flattenFields, formErrorsOf } from '../../src/console/forms.js';
import { html, httpUrl, trusted } from '../../src/console/html.js';
import { escapeHtml } from '../../src/web/html.js';
import type { ConsolePage } from '../../src/console/page.js';
import { loginPathFrom, signInRefusal } from '../../src/console/sign-in.js';
import { KeyRing } from '../../src/crypto/keyring.js';
import { silentLogger } from '../../src/log.js';

/** The console's parts on their own: escaping, parsing of what people type, error placement, the page runner. */

describe('html templates', () => {
  it('escape every interpolated value unless it is markup made by a template', () => {
    const name = `<img src=x onerror="alert('x')">&`;
    assert.equal(html`<p title="${name}">${name}</p>`.toString(), '<p title="&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;">&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;</p>');
    assert.equal(html`<ul>${['a<', 'b'].map((item) => html`<li>${item}</li>`)}</ul>`.toString(), '<ul><li>a&lt;</li><li>b</li></ul>');
    assert.equal(html`${null}${undefined}${false}${0}`.toString(), '0');
    assert.equal(html`${trusted('<b>ok</b>')}`.toString(), '<b>ok</b>');
    assert.equal(escapeHtml(`"'`), '&quot;&#39;');
  });

  it('allow only http(s) URLs in links (return targets: test/web/same-site.test.ts)', () => {
    assert.equal(httpUrl('https://dev-1.okta.com/login'), 'https://dev-1.okta.com/login');
    assert.equal(httpUrl('javascript:alert(1)'), undefined);
    assert.equal(httpUrl('data:text/html,x'), undefined);
    assert.equal(httpUrl(42), undefined);
  });
});

describe('sign-in input and messages', () => {
  it('takes a login path as people type it', () => {
    for (const input of ['acme', ' Acme ', '/acme', '/login/acme', 'login/acme/', 'http://localhost:8000/login/acme', 'https://gw.example.com/login/ACME']) {
      assert.equal(loginPathFrom(input), 'acme', input);
    }
    for (const input of ['', 'ab', 'a b c', '../admin', 'x'.repeat(65), 'javascript:alert(1)']) assert.equal(loginPathFrom(input), undefined, input);
  });

  it('turns the proxy’s refusals into messages, with the Okta link only when it is a web address', () => {
    const organization = { name: 'Globex', login_path: 'globex', sso_enabled: true };
    assert.deepEqual(signInRefusal(401, { error_code: 'GH-SIGN-IN-INVALID', message: 'Wrong email or password.' }, organization), { form: 'Wrong email or password.' });
    const ssoOnly = signInRefusal(403, { error_code: 'GH-SIGN-IN-SSO-ONLY', login_url: 'http://127.0.0.1:8000/login/globex' }, organization);
    assert.match(String(ssoOnly.form), /<a href="http:\/\/127\.0\.0\.1:8000\/login\/globex">Sign in with Okta<\/a>/);
    const hostile = signInRefusal(403, { error_code: 'GH-SIGN-IN-SSO-ONLY', login_url: 'javascript:alert(1)' }, organization);
    assert.equal(String(hostile.form).includes('href'), false);
    assert.match(String(signInRefusal(403, { error_code: 'GH-SIGN-IN-DEACTIVATED' }, organization).form), /deactivated/);
    assert.match(String(signInRefusal(503, {}, organization).form), /unavailable/);
  });
});

describe('form errors', () => {
  it('flatten Kong’s nested fields to dotted names', () => {
    assert.deepEqual(flattenFields({ config: { client_id: 'required field missing', scopes: ['a', 'b'] }, name: 'bad' }), {
      'config.client_id': 'required field missing',
      'config.scopes': 'a; b',
      name: 'bad',
    });
  });

  it('place errors on the fields shown, and keep the others on the form with their names', () => {
    const schema = { message: 'schema violation (name: bad; url: missing)', fields: { name: 'bad', url: 'missing' } };
    assert.deepEqual(formErrorsOf(schema, ['name', 'url']), { form: 'Correct the marked fields.', fields: { name: 'bad', url: 'missing' } });
    assert.deepEqual(formErrorsOf(schema, ['name']), { form: 'schema violation (name: bad; url: missing) url: missing', fields: { name: 'bad' } });
    assert.deepEqual(formErrorsOf({ message: 'login path taken', field: 'login_path' }, ['login_path']), {
      form: 'Correct the marked fields.',
      fields: { login_path: 'login path taken' },
    });
    assert.deepEqual(formErrorsOf({ message: 'Forbidden' }, ['name']), { form: 'Forbidden', fields: {} });
    // Kong's unique violation names the clashing value; the field says what is wrong with it.
    const unique = { message: "UNIQUE violation detected on '{name=\"echo\"}'", error_code: 'GH-ADMIN-UNIQUE', fields: { name: 'echo' } };
    assert.deepEqual(formErrorsOf(unique, ['name']).fields, { name: '“echo” is already used; choose another.' });
  });
});

describe('the page runner', () => {
  let admin: FastifyInstance;
  let proxy: FastifyInstance;
  let console_: FastifyInstance;
  let signedIn = true;

  before(async () => {
    admin = Fastify();
    admin.get('/me', async (request, reply) => {
      if (!signedIn || !request.headers.cookie?.includes('gatehouse_session=')) return reply.code(401).send({ message: 'Unauthorized', error_code: 'GH-ADMIN-UNAUTHENTICATED' });
      return {
        kind: 'session',
        user: { id: 'u1', email: 'v@acme.example', name: null, source: 'native', roles: [{ role_id: 'r', role_name: 'Viewer', granted_by: null, granted_at: 0 }], okta_groups: null, last_sign_in_at: null },
        organization: { id: 'o1', name: 'Acme', login_path: 'acme', login_url: 'http://localhost:8000/login/acme', sso_enabled: false, owner_user_id: 'u0' },
        permissions: ['audit:read', 'gateway:read', 'users:read'],
      };
    });
    admin.get('/broken', async (_request, reply) => reply.code(500).send({ message: 'An unexpected error occurred', error_code: 'GH-INTERNAL' }));
    admin.get('/forbidden', async (_request, reply) => reply.code(403).send({ message: 'Forbidden: needs audit:read', error_code: 'GH-ADMIN-FORBIDDEN' }));
    proxy = Fastify();
    const pages: ConsolePage[] = [
      { path: '/home', title: 'Home', render: ({ signedIn: who }) => html`<h1>Hello ${who.user.email}</h1>` },
      { path: '/users', title: 'Users', permission: 'users:write', render: () => html`<h1>never shown</h1>` },
      { path: '/broken', title: 'Broken', render: async ({ admin: api }) => html`<p>${JSON.stringify(await api.get('/broken'))}</p>` },
      { path: '/audit-log', title: 'Audit log', render: async ({ admin: api }) => html`<p>${JSON.stringify(await api.get('/forbidden'))}</p>` },
    ];
    console_ = createConsoleServer({
      admin,
      proxy,
      keyRing: KeyRing.fromSecrets(['k'.repeat(32)]),
      publicUrl: () => 'http://localhost:8000',
      organizations: { byLoginPath: async () => undefined },
      log: silentLogger(),
      pages,
    });
  });
  after(() => Promise.all([admin.close(), proxy.close(), console_.close()]));

  const get = (url: string) => console_.inject({ method: 'GET', url, headers: { cookie: 'gatehouse_session=s' } });

  it('renders a page in the layout, linking only the pages that exist', async () => {
    const response = await get('/home');
    assert.equal(response.statusCode, 200);
    assert.match(response.body, /<h1>Hello v@acme\.example<\/h1>/);
    assert.match(response.body, /<a href="\/home" aria-current="page">Home<\/a>/);
    assert.match(response.body, /<a href="\/audit-log">Audit log<\/a>/);
    assert.match(response.body, /Tokens <small>coming soon<\/small>/);
    assert.equal(response.body.includes('Identity Management'), false, 'entries the roles cannot read are not listed');
  });

  it('refuses a page the person’s roles do not allow, saying which roles they have', async () => {
    const response = await get('/users');
    assert.equal(response.statusCode, 403);
    assert.match(response.body, /Your roles \(Viewer\) do not allow this page\./);
    assert.equal(response.body.includes('never shown'), false);
  });

  it('shows an Admin API failure in the page instead of a blank one', async () => {
    const broken = await get('/broken');
    assert.equal(broken.statusCode, 502);
    assert.match(broken.body, /role="alert"/);
    assert.match(broken.body, /could not load this page because of an error on the server/);
    assert.match(broken.body, /<code>GH-INTERNAL<\/code>/);
    const forbidden = await get('/audit-log');
    assert.equal(forbidden.statusCode, 403);
    assert.match(forbidden.body, /Forbidden: needs audit:read/);
  });

  it('sends people who are not signed in to sign in, and back afterwards', async () => {
    signedIn = false;
    try {
      const response = await get('/broken?x=1');
      assert.equal(response.statusCode, 303);
      assert.equal(response.headers.location, '/?return_to=%2Fbroken%3Fx%3D1');
    } finally {
      signedIn = true;
    }
  });
});

describe('browser modules', () => {
  it('type-check (plain JavaScript with JSDoc types, DOM library)', async () => {
    const tsc = new URL('../../node_modules/typescript/bin/tsc', import.meta.url).pathname;
    const project = new URL('../../src/console/assets/tsconfig.json', import.meta.url).pathname;
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, '-p', project]).catch((error: { stdout?: string }) => {
      assert.fail(`tsc -p src/console/assets failed:\n${error.stdout ?? String(error)}`);
    });
    assert.equal(stdout.trim(), '');
  });
});
