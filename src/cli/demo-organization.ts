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
 * stand-in, enable SSO, and protect `/app` with the `sso` plugin. Skipped when the
 * organization already exists (the demo's database survives restarts).
 */
export async function setUpDemoOrganization(options: { adminUrl: string; token: string; idpOrigin: string }): Promise<void> {
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

  await call('PUT', '/routes/app', { paths: ['/app'], service: { name: 'demo' } });
  const plugins = (await call('GET', '/routes/app/plugins')).data as Array<{ name: string }>;
  if (!plugins.some((plugin) => plugin.name === 'sso')) {
    await call('POST', '/routes/app/plugins', { name: 'sso', config: { organization: DEMO_ORGANIZATION.login_path } });
  }
}
