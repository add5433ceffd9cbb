import assert from 'node:assert/strict';
import { CookieJar, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { CLIENT_ID, CLIENT_SECRET, PASSWORD, type Stack } from '../support/stack.js';

export const OWNER_PASSWORD = 'owner-password-0123456789';
export const API_TOKEN = 'dev-api-token';

export interface OrganizationSetUp {
  loginPath: string;
  /** group → role name */
  mappings: Array<[string, string]>;
  apiToken?: boolean;
  authServer?: string;
  /** Default `openid profile email groups`: the stand-in's custom servers send groups for the groups scope. */
  scopes?: string;
  singleLogout?: boolean;
}

/**
 * An organization connected to the Okta stand-in the way an admin does it, through
 * the Admin API: create, test the identity settings, save them, map groups, enable.
 */
export async function setUpOrganization(stack: Stack, options: OrganizationSetUp): Promise<{ id: string; ownerEmail: string }> {
  const ownerEmail = `owner@${options.loginPath}.example`;
  const organization = await stack.adminCall('POST', '/organizations', {
    name: `${options.loginPath} Inc`,
    login_path: options.loginPath,
    owner: { email: ownerEmail, password: OWNER_PASSWORD },
  });
  const base = `/organizations/${organization.id}`;
  const roles = (await stack.adminCall('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
  for (const [group, roleName] of options.mappings) {
    const role = roles.find((candidate) => candidate.name === roleName);
    assert.ok(role, `role ${roleName} exists`);
    await stack.adminCall('POST', `${base}/role-mappings`, { group, role: role.id });
  }
  const settings = {
    provider: 'okta',
    okta_domain: new URL(stack.idp.origin).host,
    authorization_server_id: options.authServer ?? 'default',
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    scopes: options.scopes ?? 'openid profile email groups',
    ...(options.apiToken ? { api_token: API_TOKEN } : {}),
    single_logout: options.singleLogout ?? false,
  };
  const tested = await stack.adminCall('POST', `${base}/identity/test`, settings);
  assert.equal(tested.message, 'Configuration tested successfully', JSON.stringify(tested));
  await stack.adminCall('PUT', `${base}/identity`, settings);
  await stack.adminCall('POST', `${base}/identity/enable`, { confirm: true });
  return { id: organization.id, ownerEmail };
}

/** Signs in at `/login/{loginPath}` through the stand-in's form; returns the jar and the callback's answer. */
export async function organizationSignIn(stack: Stack, loginPath: string, username: string, query = '') {
  const jar = new CookieJar();
  const start = await browserFetch(jar, `${stack.proxy}/login/${loginPath}${query}`);
  assert.equal(start.status, 302, `sign-in starts with a redirect, got ${start.status}`);
  const authorize = new URL(start.headers.get('location')!);
  const { callbackUrl } = await signIn({
    authorizeUrl: authorize,
    username,
    password: PASSWORD,
    jar,
    isCallback: (url) => url.origin === stack.proxy,
  });
  const callback = await browserFetch(jar, callbackUrl);
  return { jar, authorize, callback };
}

/** Moves a stand-in user into or out of a group through Okta's own Management API. */
export async function setGroupMembership(stack: Stack, userId: string, groupName: string, member: boolean): Promise<void> {
  const headers = { authorization: `SSWS ${API_TOKEN}`, accept: 'application/json' };
  const groups = (await (await fetch(`${stack.idp.origin}/api/v1/groups?q=${encodeURIComponent(groupName)}&limit=10`, { headers })).json()) as Array<{
    id: string;
    profile: { name: string };
  }>;
  const group = groups.find((candidate) => candidate.profile.name === groupName);
  assert.ok(group, `group ${groupName} exists at the stand-in`);
  const response = await fetch(`${stack.idp.origin}/api/v1/groups/${group.id}/users/${userId}`, { method: member ? 'PUT' : 'DELETE', headers });
  assert.ok(response.status < 300, `membership change answered ${response.status}`);
}

/** An administrator reactivates a deactivated account (tests put things back this way). */
export async function reactivate(stack: Stack, organizationId: string, email: string): Promise<void> {
  const users = (await stack.adminCall('GET', `/organizations/${organizationId}/users`)).data as Array<{ id: string; email: string }>;
  const user = users.find((candidate) => candidate.email === email);
  assert.ok(user, `${email} exists`);
  await stack.adminCall('PATCH', `/organizations/${organizationId}/users/${user.id}`, { status: 'active' });
}
