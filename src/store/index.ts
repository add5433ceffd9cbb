/**
 * The store: Kysely over SQLite (PostgreSQL is a dialect away), migrations in code,
 * one repository per Kong entity, and the configuration snapshot for the data plane.
 */
export { openDatabase, parseDatabaseUrl, isDatabaseReachable, type DatabaseLocation } from './database.js';
export { migrateToLatest, migrationNames, migrationProvider } from './migrations.js';
export type { Database, ServicesTable, RoutesTable, ConsumersTable, PluginsTable, SessionsTable, OidcProvidersTable } from './schema.js';
export { loadGatewayConfiguration } from './gateway-configuration.js';
export { ServiceRepository } from './repositories/services.js';
export { RouteRepository, type RouteFilter } from './repositories/routes.js';
export { ConsumerRepository, type ConsumerFilter } from './repositories/consumers.js';
export { PluginRepository, type PluginScope } from './repositories/plugins.js';
export { OidcProviderRepository, type OidcProviderRecord } from './repositories/oidc-providers.js';
export { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page, type PageRequest } from './repositories/shared.js';
export { REDACTED, encryptSecrets, decryptSecrets, redactSecrets, restoreRedactedSecrets } from './plugin-secrets.js';
export {
  EntityError,
  SchemaViolationError,
  UniqueViolationError,
  PrimaryKeyViolationError,
  ForeignKeyViolationError,
  ReferencedByOthersError,
  InvalidSizeError,
  InvalidOffsetError,
  type FieldIssue,
} from './errors.js';
export { validate, toFieldIssues } from './validation.js';
export * as identityRepositories from './repositories/identity/index.js';
export { createIdentityStore } from './repositories/identity/index.js';
