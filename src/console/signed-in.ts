import type { AdminPermission } from '../admin/auth.js';
import type { Organization, User } from '../model/identity.js';
import { AdminCallError, errorBodyOf, type AdminClient } from './upstream.js';

/**
 * Who is using the console, as the Admin API's `GET /me` tells it for the session
 * cookie the browser sent. The console keeps no session of its own: the
 * `gatehouse_session` cookie the sign-in endpoints set is the one source of truth,
 * so deactivation, sign-out and role changes apply to the console at once.
 */
export interface SignedIn {
  user: User;
  organization: Organization & { login_url: string };
  permissions: ReadonlySet<AdminPermission>;
}

interface MeBody {
  kind: 'session' | 'token' | 'bootstrap';
  user: User | null;
  organization: (Organization & { login_url: string }) | null;
  permissions: AdminPermission[];
}

/** The signed-in person, or undefined when the request carries no live session. */
export async function whoIsSignedIn(admin: AdminClient): Promise<SignedIn | undefined> {
  const answer = await admin.call('GET', '/me');
  if (answer.status === 401) return undefined;
  if (answer.status !== 200) throw new AdminCallError(answer.status, errorBodyOf(answer));
  const me = answer.body as MeBody;
  if (me.kind !== 'session' || !me.user || !me.organization) return undefined;
  return { user: me.user, organization: me.organization, permissions: new Set(me.permissions) };
}
