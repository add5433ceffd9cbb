/**
 * The codes the store raises. Some are Admin API codes (`GH-ADMIN-…`): the store is
 * the lowest layer that raises them, so they live here and the Admin API answers them
 * unchanged.
 */

/**
 * 400: the body breaks the entity's schema; Kong's `schema violation` body lists every wrong field.
 * The console's browser script gateway.js spells it too: scripts cannot import this module.
 */
export const ADMIN_SCHEMA = 'GH-ADMIN-SCHEMA';
/**
 * 409: another entity already holds this unique value (Kong's `unique constraint violation`).
 * The console's browser scripts (console.js, gateway.js, role-mapping.js) spell it too: scripts cannot import this module.
 */
export const ADMIN_UNIQUE = 'GH-ADMIN-UNIQUE';
/** 409: a route of another owner could take requests this route would match (Kong Enterprise's "API route collides"). */
export const ADMIN_ROUTE_COLLISION = 'GH-ADMIN-ROUTE-COLLISION';
/** 400: a POST names an id an entity already has (Kong's `primary key violation`); use PUT or PATCH. */
export const ADMIN_PRIMARY_KEY = 'GH-ADMIN-PRIMARY-KEY';
/** 400: a reference (`service`, `route`, `consumer`) names no entity, or it was deleted while the request ran. */
export const ADMIN_FOREIGN_KEY = 'GH-ADMIN-FOREIGN-KEY';
/** 400: deleting an entity others still reference (a service with routes). */
export const ADMIN_REFERENCED = 'GH-ADMIN-REFERENCED';
/** 400: a list's `size` is not an integer from 1 to 1000. */
export const ADMIN_SIZE = 'GH-ADMIN-SIZE';
/** 400: a list's `offset` is not one a previous page gave. */
export const ADMIN_OFFSET = 'GH-ADMIN-OFFSET';

/**
 * Kong's own entity errors: the Admin API answers them with Kong's exact body, without
 * the `field` Gatehouse's organization errors add.
 */
export const KONG_ENTITY_ERROR_CODES: ReadonlySet<string> = new Set([
  ADMIN_SCHEMA,
  ADMIN_UNIQUE,
  ADMIN_ROUTE_COLLISION,
  ADMIN_PRIMARY_KEY,
  ADMIN_FOREIGN_KEY,
  ADMIN_REFERENCED,
  ADMIN_SIZE,
  ADMIN_OFFSET,
]);

/** 409: another organization already signs in at this login path (paths compare regardless of case). */
export const ORG_LOGIN_PATH_TAKEN = 'GH-ORG-LOGIN-PATH-TAKEN';
/** 409: the owner of an organization cannot be deactivated, and always keeps Organization Admin. */
export const ORG_OWNER = 'GH-ORG-OWNER';
/** 409: deleting an organization that still owns services, routes, plugins or consumers. */
export const ORGANIZATION_OWNS_GATEWAY = 'GH-ORGANIZATION-OWNS-GATEWAY';
/** 409: another account of the organization already uses this email (accounts are never merged by email). */
export const IDENTITY_EMAIL_TAKEN = 'GH-IDENTITY-EMAIL-TAKEN';

/** At start (no HTTP status): `GATEHOUSE_DATABASE` is not a database URL Gatehouse reads, or names no file. */
export const STORE_URL = 'GH-STORE-URL';
/** At start (no HTTP status): the database URL names an engine that is not wired yet (PostgreSQL). */
export const STORE_UNSUPPORTED = 'GH-STORE-UNSUPPORTED';
/** At start (no HTTP status): the database file cannot be opened (path or permissions). */
export const STORE_OPEN = 'GH-STORE-OPEN';
/** At start (no HTTP status): a database migration failed and was rolled back. */
export const STORE_MIGRATION = 'GH-STORE-MIGRATION';
