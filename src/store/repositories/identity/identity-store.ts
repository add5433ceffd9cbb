import type { Kysely } from 'kysely';
import type { KeyRing } from '../../../crypto/keyring.js';
import type {
  AccountStatusCause,
  AccountStatusChange,
  AuditEntry,
  IdentitySettings,
  Organization,
  Role,
  RoleGrant,
  RoleMapping,
  SsoProfile,
  User,
} from '../../../model/identity.js';
import type { Database } from '../../schema.js';
import { commitDeactivation, commitReactivation } from './account-status.js';
import { writeAudit } from './audit-log.js';
import { readIdentitySettings } from './identity-settings.js';
import { allOrganizations, findOrganization, findOrganizationByLoginPath } from './organizations.js';
import { listRoleMappings } from './role-mappings.js';
import { listRoles } from './roles.js';
import { activeSsoUsers, findUserByEmail, findUserBySubject, findUser, passwordHash, recordSignIn, saveSsoUser } from './users.js';

/**
 * What the sign-in flows, the Admin API and the background sync ask of the identity
 * side of the store, each call its own transaction. The store defines it and
 * implements it (`createIdentityStore`); the rules that decide what to write (which
 * groups give which roles, who may be deactivated) live in src/identity/.
 */
export interface IdentityStore {
  organizationByLoginPath(loginPath: string): Promise<Organization | undefined>;
  organization(idOrName: string): Promise<Organization | undefined>;
  identitySettings(organizationId: string): Promise<IdentitySettings | undefined>;
  roleMappings(organizationId: string): Promise<RoleMapping[]>;
  roles(organizationId: string): Promise<Role[]>;
  user(organizationId: string, userId: string): Promise<User | undefined>;
  userBySubject(organizationId: string, issuer: string, subject: string): Promise<User | undefined>;
  userByEmail(organizationId: string, email: string): Promise<User | undefined>;
  /** Active SSO users of organizations with SSO enabled and an API token (the background sync's work list). */
  activeSsoUsers(organizationId: string): Promise<User[]>;
  /**
   * Creates or updates an SSO user from a sign-in or sync: profile, groups seen, and
   * roles replaced by `grants` in one transaction. Creates only when `create` is true
   * (just-in-time provisioning); returns undefined when the user does not exist and
   * may not be created.
   */
  saveSsoUser(
    organizationId: string,
    profile: SsoProfile,
    grants: RoleGrant[],
    options: { create: boolean; signedIn: boolean },
  ): Promise<{ user: User; created: boolean; /** role names */ rolesAdded: string[]; /** role names */ rolesRemoved: string[] } | undefined>;
  /**
   * The store's half of a deactivation, in one transaction: status `deactivated` with
   * its time, every live personal access token of the user revoked, the audit entry.
   * Call `deactivateUser` (src/identity/account-status.ts) instead: it also ends the
   * user's sessions. Undefined when the organization has no such user; the owner
   * cannot be deactivated (409 `ORG_OWNER`).
   */
  commitDeactivation(organizationId: string, userId: string, cause: AccountStatusCause): Promise<(AccountStatusChange & { tokens_revoked: string[] }) | undefined>;
  /**
   * The store's half of a reactivation, in one transaction with its audit entry. It
   * revives nothing: revoked tokens stay revoked. A native user's roles are current
   * again; an SSO user's are dropped with their last-seen groups, and come fresh from
   * Okta at the next sign-in or sync. Call `reactivateUser` (src/identity/account-status.ts).
   */
  commitReactivation(organizationId: string, userId: string, cause: AccountStatusCause): Promise<AccountStatusChange | undefined>;
  /** Records a successful password sign-in (SSO sign-ins record theirs in `saveSsoUser`). */
  recordSignIn(organizationId: string, userId: string): Promise<void>;
  /** A native user's password hash (scrypt), for password sign-in; undefined for SSO users. */
  passwordHash(organizationId: string, userId: string): Promise<string | undefined>;
  /** Organizations with SSO enabled (for the background group sync). */
  ssoOrganizations(): Promise<Organization[]>;
  /** Every organization (for the in-memory directory the data plane reads). */
  organizations(): Promise<Organization[]>;
  audit(entry: AuditEntry): Promise<void>;
}

/** `IdentityStore` over the database; secrets decrypted with `keyRing`. */
export function createIdentityStore(db: Kysely<Database>, keyRing: KeyRing): IdentityStore {
  return {
    organizationByLoginPath: (loginPath) => findOrganizationByLoginPath(db, loginPath),
    organization: (idOrName) => findOrganization(db, idOrName),
    identitySettings: (organizationId) => readIdentitySettings(db, keyRing, organizationId),
    roleMappings: (organizationId) => listRoleMappings(db, organizationId),
    roles: (organizationId) => listRoles(db, organizationId),
    user: async (organizationId, userId) => {
      const user = await findUser(db, organizationId, userId);
      // By id only: an email here would be a different lookup (userByEmail).
      return user && user.id === userId.toLowerCase() ? user : undefined;
    },
    userBySubject: (organizationId, issuer, subject) => findUserBySubject(db, organizationId, issuer, subject),
    userByEmail: (organizationId, email) => findUserByEmail(db, organizationId, email),
    activeSsoUsers: (organizationId) => activeSsoUsers(db, organizationId),
    saveSsoUser: (organizationId, profile, grants, options) => saveSsoUser(db, organizationId, profile, grants, options),
    commitDeactivation: (organizationId, userId, cause) => commitDeactivation(db, organizationId, userId, cause),
    commitReactivation: (organizationId, userId, cause) => commitReactivation(db, organizationId, userId, cause),
    passwordHash: (organizationId, userId) => passwordHash(db, organizationId, userId),
    recordSignIn: (organizationId, userId) => recordSignIn(db, organizationId, userId),
    ssoOrganizations: () => allOrganizations(db, { ssoOnly: true }),
    organizations: () => allOrganizations(db),
    audit: async (entry) => {
      await writeAudit(db, entry);
    },
  };
}
