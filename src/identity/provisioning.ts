import type { Logger } from '../log.js';
import type { SessionStore } from '../sessions/store.js';
import { deactivateUser } from './account-status.js';
import { auditEntry, GROUP_SYNC_ACTOR, SIGN_IN_ACTOR } from './audit.js';
import type { IdentityStore, Organization, SsoProfile, User } from './model.js';
import { rolesFromGroups } from './role-mapping.js';

export type ProvisioningOutcome =
  | { admitted: true; user: User; created: boolean; rolesAdded: string[]; rolesRemoved: string[] }
  /** No mapped group: refused; an existing account was deactivated and its sessions ended. */
  | { admitted: false; reason: 'no_mapped_group'; deactivated: User | undefined };

/**
 * The one place where Okta groups become Gatehouse accounts and roles, used by
 * sign-in (which may create the account: just-in-time provisioning) and by the
 * background sync (which never creates). Roles are recomputed from the groups every
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
  const grants = rolesFromGroups(
    profile.groups,
    mappings.map((mapping) => ({ id: mapping.id, group: mapping.group, role_id: mapping.role_id })),
  );
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
