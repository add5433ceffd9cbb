import type { Kysely } from 'kysely';
import type { Logger } from '../log.js';
import type { Organization, RoleGrant, RoleMapping, SsoProfile, User } from '../model/identity.js';
import type { SessionStore } from '../sessions/store.js';
import type { IdentityStore } from '../store/repositories/identity/identity-store.js';
import { listRoleMappings } from '../store/repositories/identity/role-mappings.js';
import { activeSsoUsersLastGroups, replaceGrantedRoles } from '../store/repositories/identity/users.js';
import type { Database } from '../store/schema.js';
import { deactivateUser } from './account-status.js';
import { auditEntry } from '../model/audit.js';
import { GROUP_SYNC_ACTOR, SIGN_IN_ACTOR } from './audit.js';
import { rolesFromGroups } from './role-mapping.js';

export type ProvisioningOutcome =
  | { admitted: true; user: User; created: boolean; rolesAdded: string[]; rolesRemoved: string[] }
  /** No mapped group: refused; an existing account was deactivated and its sessions ended. */
  | { admitted: false; reason: 'no_mapped_group'; deactivated: User | undefined };

/**
 * The one place where Okta groups become Gatehouse accounts and roles, used by
 * sign-in (which may create the account: just-in-time provisioning) and by the
 * background sync (which never creates); a mapping change recomputes roles with the
 * same rule (`recomputeSsoRoles`). Roles are recomputed from the groups every
 * time, so they follow group and mapping changes; losing every mapped group
 * deactivates the account and ends its live sessions at once. A deactivated account is
 * left as it was at deactivation (the store's `saveSsoUser` returns it unchanged), and
 * sign-in refuses it.
 */
export async function applyGroups(
  deps: { store: IdentityStore; sessions: SessionStore; log: Logger },
  organization: Organization,
  profile: SsoProfile,
  options: { signIn: boolean },
): Promise<ProvisioningOutcome> {
  const { store, sessions } = deps;
  const mappings = await store.roleMappings(organization.id);
  const grants = grantsFromGroups(profile.groups, mappings);
  const actor = options.signIn ? SIGN_IN_ACTOR : GROUP_SYNC_ACTOR;

  if (grants.length === 0) {
    const existing = await store.userBySubject(organization.id, profile.issuer, profile.subject);
    let deactivated: User | undefined;
    if (existing && existing.status === 'active') {
      const done = await deactivateUser({ store, sessions }, organization.id, existing.id, {
        actor,
        reason: 'the user is in no Okta group that is mapped to a role',
        details: { groups: profile.groups },
      });
      deactivated = done?.changed ? done.user : undefined;
    }
    return { admitted: false, reason: 'no_mapped_group', deactivated };
  }

  const saved = await store.saveSsoUser(organization.id, profile, grants, { create: options.signIn, signedIn: options.signIn });
  if (!saved) {
    // The sync only updates existing accounts; nothing to do for a stranger.
    return { admitted: false, reason: 'no_mapped_group', deactivated: undefined };
  }
  if (saved.created) {
    await store.audit(auditEntry(actor, organization.id, 'user.provision', {
      target: { type: 'user', id: saved.user.id },
      details: { email: saved.user.email, roles: saved.user.roles.map((role) => role.role_name), groups_source: profile.groups_source },
    }));
  } else if (saved.rolesAdded.length > 0 || saved.rolesRemoved.length > 0) {
    await store.audit(auditEntry(actor, organization.id, 'user.roles_change', {
      target: { type: 'user', id: saved.user.id },
      details: { added: saved.rolesAdded, removed: saved.rolesRemoved },
    }));
  }
  return { admitted: true, ...saved };
}

/**
 * After a mapping change, recomputes the roles of every active SSO user of the
 * organization from the groups seen at their last sign-in or sync, with the rule
 * sign-in uses: roles never stay stale after a mapping change. Users whose groups no
 * longer map to anything keep their account here; the next sign-in or sync deactivates
 * them. Deactivated users are left out: their roles stay as they were at deactivation.
 * Runs in the caller's transaction (`db`), so a failure writes nothing.
 */
export async function recomputeSsoRoles(
  db: Kysely<Database>,
  organizationId: string,
): Promise<Array<{ user_id: string; email: string; added: string[]; removed: string[] }>> {
  const mappings = await listRoleMappings(db, organizationId);
  const users = await activeSsoUsersLastGroups(db, organizationId);
  const changes: Array<{ user_id: string; email: string; added: string[]; removed: string[] }> = [];
  for (const user of users) {
    const { added, removed } = await replaceGrantedRoles(db, { id: user.id, organization_id: organizationId }, grantsFromGroups(user.groups, mappings));
    if (added.length > 0 || removed.length > 0) changes.push({ user_id: user.id, email: user.email, added, removed });
  }
  return changes;
}

/** The organization's mappings applied to a user's groups: the same call for sign-in, the sync and mapping changes. */
function grantsFromGroups(groups: readonly string[], mappings: readonly RoleMapping[]): RoleGrant[] {
  return rolesFromGroups(
    groups,
    mappings.map((mapping) => ({ id: mapping.id, group: mapping.group, role_id: mapping.role_id })),
  );
}
