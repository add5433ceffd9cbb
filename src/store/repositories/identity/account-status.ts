import type { Kysely } from 'kysely';
import { auditEntry } from '../../../model/audit.js';
import type { AccountStatusCause, AccountStatusChange, User } from '../../../model/identity.js';
import type { Database } from '../../schema.js';
import { nowSeconds } from '../shared.js';
import { revokeAllAccessTokens } from './access-tokens.js';
import { writeAudit } from './audit-log.js';
import { IdentityConflictError, type Db } from './shared.js';
import { findUserById } from './users.js';
import { ORG_OWNER } from '../../error-codes.js';

/**
 * The only writes of a user's status after creation: a deactivation revokes the
 * user's tokens and records why in the same transaction, a reactivation revives
 * nothing. Not re-exported by ./index.ts: the rest of Gatehouse reaches these through
 * `IdentityStore`, and only src/identity/account-status.ts calls them there, because it
 * also ends the user's sessions.
 */

/** Private to this module, so that no path changes a status without what goes with it. */
async function writeStatus(db: Db, userId: string, status: User['status']): Promise<void> {
  const now = nowSeconds();
  await db
    .updateTable('users')
    .set({ status, deactivated_at: status === 'deactivated' ? now : null, updated_at: now })
    .where('id', '=', userId)
    .execute();
}

/** IdentityStore.commitDeactivation: status, tokens and audit entry in one transaction. */
export async function commitDeactivation(
  db: Kysely<Database>,
  organizationId: string,
  userId: string,
  cause: AccountStatusCause,
): Promise<(AccountStatusChange & { tokens_revoked: string[] }) | undefined> {
  return db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user || user.organization_id !== organizationId) return undefined;
    const organization = await trx.selectFrom('organizations').select('owner_user_id').where('id', '=', organizationId).executeTakeFirst();
    if (organization?.owner_user_id === user.id) {
      throw new IdentityConflictError(ORG_OWNER, 'the owner of the organization cannot be deactivated: the owner always keeps access (and password sign-in)', 'status');
    }
    // Revoked even when already deactivated: no token may outlive a deactivation, and a
    // reactivation brings none back (the person makes new ones).
    const revoked = await revokeAllAccessTokens(trx, user.id);
    if (user.status === 'deactivated') return { user, changed: false, tokens_revoked: revoked };
    await writeStatus(trx, user.id, 'deactivated');
    await writeAudit(
      trx,
      auditEntry(cause.actor, organizationId, 'user.deactivate', {
        target: { type: 'user', id: user.id },
        reason: cause.reason,
        details: { email: user.email, roles: user.roles.map((role) => role.role_name), tokens_revoked: revoked, ...cause.details },
      }),
    );
    return { user: (await findUserById(trx, user.id))!, changed: true, tokens_revoked: revoked };
  });
}

/** IdentityStore.commitReactivation: status and audit entry in one transaction; nothing revoked comes back. */
export async function commitReactivation(db: Kysely<Database>, organizationId: string, userId: string, cause: AccountStatusCause): Promise<AccountStatusChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId);
    if (!user || user.organization_id !== organizationId) return undefined;
    if (user.status === 'active') return { user, changed: false };
    await writeStatus(trx, user.id, 'active');
    if (user.source === 'sso') {
      // Okta may have changed anything since: the roles come fresh from the groups at the
      // next sign-in or sync, not back from the record kept at deactivation.
      await trx.deleteFrom('user_roles').where('user_id', '=', user.id).execute();
      await trx.updateTable('users').set({ okta_groups: null, groups_source: null }).where('id', '=', user.id).execute();
    }
    await writeAudit(
      trx,
      auditEntry(cause.actor, organizationId, 'user.reactivate', {
        target: { type: 'user', id: user.id },
        reason: cause.reason,
        // The roles the user has again: a native user's, or none for an SSO user until Okta says.
        details: { email: user.email, roles: user.source === 'sso' ? [] : user.roles.map((role) => role.role_name), ...cause.details },
      }),
    );
    return { user: (await findUserById(trx, user.id))!, changed: true };
  });
}
