import type { FastifyRequest } from 'fastify';
import type { AdminSessionResolver } from '../../src/admin/auth.js';
import { call, startAdmin, type TestAdmin } from './helpers.js';

/**
 * Organization-side helpers: the tests' stand-in for the console sign-in is a session
 * resolver reading `x-test-session: {userId}:{organizationId}` (the real one reads the
 * sign-in cookie), so users can create their own personal access tokens.
 */

export const testSessionResolver: AdminSessionResolver = async (request: FastifyRequest) => {
  const value = request.headers['x-test-session'];
  if (typeof value !== 'string') return undefined;
  const [userId, organizationId] = value.split(':');
  return userId && organizationId ? { userId, organizationId } : undefined;
};

export async function startIdentityAdmin(options: Parameters<typeof startAdmin>[0] = {}): Promise<TestAdmin> {
  return startAdmin({ ...options, server: { adminSessionResolver: testSessionResolver, publicUrl: 'https://gateway.example.com', ...options.server } });
}

export interface TestOrganization {
  id: string;
  name: string;
  login_path: string;
  owner: { id: string; email: string };
  owner_password: string;
}

/** An organization created with the bootstrap token. */
export async function createOrg(admin: { url: string }, name: string, loginPath?: string, ownerEmail = `owner@${name.toLowerCase().replace(/[^a-z0-9]/g, '')}.example`): Promise<TestOrganization> {
  const answer = await call(admin, 'POST', '/organizations', { name, owner_email: ownerEmail, ...(loginPath ? { login_path: loginPath } : {}) });
  if (answer.status !== 201) throw new Error(`creating ${name} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A native user with the given roles, created with the bootstrap token. */
export async function addUser(admin: { url: string }, organizationId: string, email: string, roles: string[]): Promise<{ id: string; email: string }> {
  const answer = await call(admin, 'POST', `/organizations/${organizationId}/users`, { email, roles });
  if (answer.status !== 201) throw new Error(`adding ${email} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A (test) console session; writes carry the console's CSRF header, as the console sends it. */
export function sessionHeaders(user: { id: string }, organizationId: string): Record<string, string> {
  return { authorization: '', 'x-test-session': `${user.id}:${organizationId}`, 'x-gatehouse-csrf': '1' };
}

/** A personal access token of the user, created through their (test) session. */
export async function tokenFor(admin: { url: string }, user: { id: string }, organizationId: string, body: Record<string, unknown> = { name: 'test' }): Promise<{ id: string; token: string }> {
  const answer = await call(admin, 'POST', '/me/tokens', body, sessionHeaders(user, organizationId));
  if (answer.status !== 201) throw new Error(`creating a token answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body;
}

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}
