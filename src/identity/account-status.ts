import type { SessionStore } from '../sessions/store.js';
import type { AccountStatusCause, AccountStatusChange } from '../model/identity.js';
import type { IdentityStore } from '../store/repositories/identity/identity-store.js';
import { endUserSessions } from './organization-session.js';

/**
 * Deactivation and reactivation of accounts, whoever asks: an administrator (Admin API,
 * console), a sign-in with no mapped group, the group sync (groups, or Okta's own status).
 * `deactivateUser` is the only way an account becomes deactivated.
 */

export interface AccountStatusDeps {
  store: Pick<IdentityStore, 'commitDeactivation' | 'commitReactivation'>;
  /** Where the user's live sessions are; absent only where nothing can hold one (some tests). */
  sessions: SessionStore | undefined;
}

export type Deactivation = AccountStatusChange & { tokens_revoked: string[]; sessions_ended: number };

/**
 * Deactivates a user: status, revocation of every personal access token and the audit
 * entry in one transaction, then the end of every session of theirs, in every process
 * (the session store answers once each worker has dropped its copy). Sessions are ended
 * after the commit: the session store is not part of the transaction, and a sign-in that
 * comes in between already finds the account deactivated. They are ended even when the
 * account was deactivated already, so a retry finishes what a failure interrupted.
 */
export async function deactivateUser(
  deps: AccountStatusDeps,
  organizationId: string,
  userId: string,
  cause: AccountStatusCause,
): Promise<Deactivation | undefined> {
  const committed = await deps.store.commitDeactivation(organizationId, userId, cause);
  if (!committed) return undefined;
  const sessionsEnded = deps.sessions ? await endUserSessions(deps.sessions, committed.user.id) : 0;
  return { ...committed, sessions_ended: sessionsEnded };
}

/**
 * Reactivates a user. Nothing comes back to life: tokens revoked at deactivation stay
 * revoked and ended sessions stay ended, so the person signs in again and makes new
 * tokens. A native user has their roles again; an SSO user gets fresh ones from Okta at
 * the next sign-in or sync.
 */
export async function reactivateUser(
  deps: AccountStatusDeps,
  organizationId: string,
  userId: string,
  cause: AccountStatusCause,
): Promise<AccountStatusChange | undefined> {
  return deps.store.commitReactivation(organizationId, userId, cause);
}
