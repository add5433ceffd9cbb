/**
 * The identity side of the store (issue 3), one module per entity:
 * organizations, users, roles, role mappings, identity settings, identity tests,
 * access tokens and the audit log. Every module's functions take the database or a
 * transaction, so a service can compose several in one transaction.
 */

export * from './access-tokens.js';
export * from './audit-log.js';
export * from './identity-settings.js';
export * from './identity-store.js';
export * from './identity-tests.js';
export * from './organizations.js';
export * from './role-mappings.js';
export * from './roles.js';
export * from './users.js';
export { IdentityConflictError, IdentityRequestError, timeOrderedId } from './shared.js';
