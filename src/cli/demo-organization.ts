import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './demo-constants.js';

export const DEMO_ORGANIZATION = {
  name: 'Acme',
  login_path: 'acme',
  owner_email: 'owner@acme.example',
  owner_password: 'Acme-Owner-Passw0rd!',
} as const;

/**
 * The demo's organization, set up through the Admin API as an admin would: create it,
 * map Okta groups to roles, test and save the identity settings against the Okta
 * stand-in, enable SSO (skipped when the organization already exists: the demo's
 * database survives restarts). Then Acme's owner — signed in with a password, with a
 * personal access token revoked afterwards — protects `/app` with the `sso` plugin, so
 * the service, route and plugin are Acme's: its admins see them in the console.
 */
export async function setUpDemoOrganization(options: { adminUrl: string; proxyUrl: string; token: string; idpOrigin: string; upstreamUrl: string }): Promise<void> {
  const call = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${options.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`demo organization set-up failed: ${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  const existing = await fetch(`${options.adminUrl}/organizations/${DEMO_ORGANIZATION.name}`, {
    headers: { authorization: `Bearer ${options.token}` },
  });
  if (existing.status === 404) {
    const organization = await call('POST', '/organizations', DEMO_ORGANIZATION);
    const base = `/organizations/${organization.id}`;
    const roles = (await call('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
    const roleId = (name: string) => roles.find((role) => role.name === name)!.id;
    await call('POST', `${base}/role-mappings`, { group: 'service_admin', role: roleId('Gateway Admin') });
    await call('POST', `${base}/role-mappings`, { group: 'viewers', role: roleId('Viewer') });
    // One of carol's 120 groups: she signs in past Okta's 100-group limit (below).
    await call('POST', `${base}/role-mappings`, { group: 'team-117', role: roleId('Viewer') });
    const settings = {
      provider: 'okta',
      okta_domain: new URL(options.idpOrigin).host,
      authorization_server_id: 'default',
      client_id: DEMO_CLIENT_ID,
      client_secret: DEMO_CLIENT_SECRET,
      // The stand-in's groups claim comes with the groups scope only (the recommended set-up):
      // people in more than 100 groups are signed in again without it and their groups read
      // from the Management API with the API token.
      scopes: 'openid profile email groups',
      api_token: 'dev-api-token',
      single_logout: true,
    };
    const tested = await call('POST', `${base}/identity/test`, settings);
    if (!tested.passed) throw new Error(`demo organization: Test Configuration failed: ${JSON.stringify(tested.checks)}`);
    await call('PUT', `${base}/identity`, settings);
    await call('POST', `${base}/identity/enable`, { confirm: true });
  } else if (!existing.ok) {
    throw new Error(`demo organization set-up failed: GET /organizations answered ${existing.status}`);
  }

  // Earlier demos made /app with the bootstrap token (the operator's): it goes, to be Acme's.
  const earlier = await fetch(`${options.adminUrl}/routes/app`, { headers: { authorization: `Bearer ${options.token}` } });
  if (earlier.ok && !('organization' in ((await earlier.json()) as object))) await call('DELETE', '/routes/app');

  await asOwner(options, async (ownerCall) => {
    await ownerCall('PUT', '/services/acme-app', { url: options.upstreamUrl });
    await ownerCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'acme-app' } });
    const plugins = (await ownerCall('GET', '/routes/app/plugins')).data as Array<{ name: string }>;
    if (!plugins.some((plugin) => plugin.name === 'sso')) {
      await ownerCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: DEMO_ORGANIZATION.login_path } });
    }
  });
}

type Call = (method: string, path: string, body?: unknown) => Promise<any>;

/** Runs `work` with Acme's owner's own credentials: a password sign-in, a short-lived token, revoked at the end. */
async function asOwner(options: { adminUrl: string; proxyUrl: string }, work: (call: Call) => Promise<void>): Promise<void> {
  const signIn = await fetch(`${options.proxyUrl}/login/${DEMO_ORGANIZATION.login_path}/password`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ email: DEMO_ORGANIZATION.owner_email, password: DEMO_ORGANIZATION.owner_password }),
  });
  const session = signIn.headers.getSetCookie().find((cookie) => cookie.startsWith('gatehouse_session='))?.split(';')[0];
  if (!signIn.ok || !session) throw new Error(`demo organization set-up failed: the owner's sign-in answered ${signIn.status}: ${await signIn.text()}`);
  const sessionHeaders = { cookie: session, 'x-gatehouse-csrf': 'demo', 'content-type': 'application/json' };
  const created = await fetch(`${options.adminUrl}/me/tokens`, {
    method: 'POST',
    headers: sessionHeaders,
    body: JSON.stringify({ name: 'demo set-up', expires_in: 3600 }),
  });
  if (!created.ok) throw new Error(`demo organization set-up failed: POST /me/tokens answered ${created.status}: ${await created.text()}`);
  const { id, token } = (await created.json()) as { id: string; token: string };
  const call: Call = async (method, path, body) => {
    const response = await fetch(`${options.adminUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`demo organization set-up failed: ${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  try {
    await work(call);
  } finally {
    await fetch(`${options.adminUrl}/me/tokens/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } });
    await fetch(`${options.proxyUrl}/logout`, { method: 'POST', headers: { cookie: session, 'sec-fetch-site': 'same-origin' }, redirect: 'manual' });
  }
}
