import type { Kysely } from 'kysely';
import type { KeyRing } from '../../../crypto/keyring.js';
import type { IdentityStore } from '../../../identity/model.js';
import type { Database } from '../../schema.js';
import { writeAudit } from './audit-log.js';
import { readIdentitySettings } from './identity-settings.js';
import { allOrganizations, findOrganization, findOrganizationByLoginPath } from './organizations.js';
import { listRoleMappings } from './role-mappings.js';
import { listRoles } from './roles.js';
import { commitDeactivation, commitReactivation } from './account-status.js';
import { activeSsoUsers, findUserByEmail, findUserBySubject, findUser, passwordHash, recordSignIn, saveSsoUser } from './users.js';

/**
 * The identity side of the store (issue 3), one module per entity:
 * organizations, users, roles, role mappings, identity settings, identity tests,
 * access tokens and the audit log. Every module's functions take the database or a
 * transaction, so a service can compose several in one transaction.
 */

export * from './access-tokens.js';
export * from './audit-log.js';
export * from './identity-settings.js';
export * from './identity-tests.js';
export * from './organizations.js';
export * from './role-mappings.js';
export * from './roles.js';
export * from './users.js';
export { IdentityConflictError, IdentityRequestError, timeOrderedId } from './shared.js';

/** `IdentityStore` (src/identity/model.ts) over the database; secrets decrypted with `keyRing`. */
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
