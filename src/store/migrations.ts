import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { GatehouseError } from '../errors.js';
import type { Database } from './schema.js';
import { STORE_MIGRATION } from './error-codes.js';

/**
 * Migrations live in code, listed here in order, rather than being discovered in a
 * folder: a folder scan would need different paths under tsx (src/*.ts) and the build
 * (dist/*.js). Never edit a migration that has shipped; add the next one.
 * Only portable column types (text, integer, bigint) so PostgreSQL runs the same list.
 */
const migrations: Record<string, Migration> = {
  '0001_initial': atomic({
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('services')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.unique())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('path', 'text')
        .addColumn('connect_timeout', 'integer', (c) => c.notNull())
        .addColumn('read_timeout', 'integer', (c) => c.notNull())
        .addColumn('write_timeout', 'integer', (c) => c.notNull())
        .addColumn('retries', 'integer', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('tags', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('routes')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.unique())
        // No ON DELETE action: deleting a service that routes still use is refused, as in Kong.
        .addColumn('service_id', 'text', (c) => c.references('services.id'))
        .addColumn('protocols', 'text', (c) => c.notNull())
        .addColumn('methods', 'text')
        .addColumn('hosts', 'text')
        .addColumn('paths', 'text')
        .addColumn('strip_path', 'integer', (c) => c.notNull())
        .addColumn('preserve_host', 'integer', (c) => c.notNull())
        .addColumn('regex_priority', 'integer', (c) => c.notNull())
        .addColumn('tags', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('consumers')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('username', 'text', (c) => c.unique())
        .addColumn('custom_id', 'text', (c) => c.unique())
        .addColumn('tags', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('plugins')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('enabled', 'integer', (c) => c.notNull())
        // Plugins go with the entity they are scoped to, as in Kong.
        .addColumn('route_id', 'text', (c) => c.references('routes.id').onDelete('cascade'))
        .addColumn('service_id', 'text', (c) => c.references('services.id').onDelete('cascade'))
        .addColumn('consumer_id', 'text', (c) => c.references('consumers.id').onDelete('cascade'))
        .addColumn('protocols', 'text', (c) => c.notNull())
        .addColumn('tags', 'text')
        .addColumn('cache_key', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      // Paging walks (created_at, id); foreign-key columns are filtered on by nested endpoints.
      for (const table of ['services', 'routes', 'consumers', 'plugins']) {
        await db.schema.createIndex(`${table}_created_at_id_idx`).on(table).columns(['created_at', 'id']).execute();
      }
      await db.schema.createIndex('routes_service_id_idx').on('routes').column('service_id').execute();
      await db.schema.createIndex('plugins_route_id_idx').on('plugins').column('route_id').execute();
      await db.schema.createIndex('plugins_service_id_idx').on('plugins').column('service_id').execute();
      await db.schema.createIndex('plugins_consumer_id_idx').on('plugins').column('consumer_id').execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('subject', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_subject_idx').on('sessions').column('subject').execute();
      await db.schema.createIndex('sessions_expires_at_idx').on('sessions').column('expires_at').execute();
    },
    async down(db: Kysely<any>) {
      for (const table of ['sessions', 'plugins', 'routes', 'consumers', 'services']) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  }),

  /**
   * Organizations that sign in with Okta (issue 3). Users are keyed by (issuer,
   * subject) for SSO, never by email alone; roles remember the rules that granted
   * them; secrets (client secret, API token, signing keys) are stored encrypted.
   */
  '0002_identity': atomic({
    async up(db: Kysely<any>) {
      const timestamps = (table: any) => table.addColumn('created_at', 'bigint', (c: any) => c.notNull()).addColumn('updated_at', 'bigint', (c: any) => c.notNull());

      await timestamps(
        db.schema
          .createTable('organizations')
          .addColumn('id', 'text', (c) => c.primaryKey().notNull())
          .addColumn('name', 'text', (c) => c.notNull().unique())
          // Stored lower-case: login paths are unique regardless of case.
          .addColumn('login_path', 'text', (c) => c.notNull().unique())
          .addColumn('owner_user_id', 'text')
          .addColumn('sso_enabled', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('sso_enabled_at', 'bigint'),
      ).execute();

      await timestamps(
        db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey().notNull())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('email', 'text', (c) => c.notNull())
          .addColumn('email_lower', 'text', (c) => c.notNull())
          .addColumn('name', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('source', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text')
          .addColumn('issuer', 'text')
          .addColumn('subject', 'text')
          .addColumn('okta_groups', 'text')
          .addColumn('groups_source', 'text')
          .addColumn('last_sign_in_at', 'bigint')
          .addColumn('deactivated_at', 'bigint')
          .addUniqueConstraint('users_org_email_unique', ['organization_id', 'email_lower'])
          .addUniqueConstraint('users_org_subject_unique', ['organization_id', 'issuer', 'subject']),
      ).execute();

      await timestamps(
        db.schema
          .createTable('roles')
          .addColumn('id', 'text', (c) => c.primaryKey().notNull())
          .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('description', 'text')
          .addColumn('builtin', 'integer', (c) => c.notNull())
          .addUniqueConstraint('roles_org_name_unique', ['organization_id', 'name']),
      ).execute();

      await db.schema
        .createTable('role_mappings')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('group_name', 'text', (c) => c.notNull())
        .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('role_mappings_unique', ['organization_id', 'group_name', 'role_id'])
        .execute();

      await db.schema
        .createTable('user_roles')
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role_id', 'text', (c) => c.notNull().references('roles.id').onDelete('cascade'))
        // JSON [{rule_id, group}] for roles from Okta groups; null for roles given by hand.
        .addColumn('granted_by', 'text')
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_roles_pk', ['user_id', 'role_id'])
        .execute();

      await db.schema
        .createTable('identity_settings')
        .addColumn('organization_id', 'text', (c) => c.primaryKey().notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('okta_domain', 'text')
        .addColumn('authorization_server_id', 'text')
        .addColumn('issuer', 'text', (c) => c.notNull())
        .addColumn('client_id', 'text', (c) => c.notNull())
        .addColumn('client_secret', 'text', (c) => c.notNull())
        .addColumn('api_token', 'text')
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('groups_claim', 'text', (c) => c.notNull())
        .addColumn('login_claim', 'text', (c) => c.notNull())
        .addColumn('single_logout', 'integer', (c) => c.notNull())
        .addColumn('sync_interval_seconds', 'integer', (c) => c.notNull())
        .addColumn('tested_fingerprint', 'text', (c) => c.notNull())
        .addColumn('tested_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      // Passing connection tests, by a keyed fingerprint of exactly the tested values.
      await db.schema
        .createTable('identity_tests')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('organization_id', 'text', (c) => c.notNull().references('organizations.id').onDelete('cascade'))
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('passed', 'integer', (c) => c.notNull())
        .addColumn('checks', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('identity_tests_org_fingerprint_idx').on('identity_tests').columns(['organization_id', 'fingerprint']).execute();

      await db.schema
        .createTable('access_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        // SHA-256 of the token: a database leak gives no usable token.
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('token_hint', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint')
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('access_tokens_user_idx').on('access_tokens').column('user_id').execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey().notNull())
        .addColumn('organization_id', 'text')
        .addColumn('actor_type', 'text', (c) => c.notNull())
        .addColumn('actor_id', 'text')
        .addColumn('actor_label', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_type', 'text')
        .addColumn('target_id', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('reason', 'text')
        .addColumn('details', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_org_created_idx').on('audit_log').columns(['organization_id', 'created_at']).execute();

      // Keys Gatehouse signs assertions for upstreams with; published at /.well-known/jwks.json.
      await db.schema
        .createTable('signing_keys')
        .addColumn('kid', 'text', (c) => c.primaryKey().notNull())
        .addColumn('private_jwk', 'text', (c) => c.notNull())
        .addColumn('public_jwk', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('retired_at', 'bigint')
        .execute();
    },
    async down(db: Kysely<any>) {
      for (const table of [
        'signing_keys',
        'audit_log',
        'access_tokens',
        'identity_tests',
        'identity_settings',
        'user_roles',
        'role_mappings',
        'roles',
        'users',
        'organizations',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  }),

  /**
   * Who owns each gateway entity. Until now services, routes, plugins and consumers
   * were shared by every organization, so one organization's admin could change or
   * delete another's routes and `sso` plugins. An organization's users now see and
   * write only the entities their organization owns; null is the operator's (written
   * with the bootstrap token), and every existing row starts as the operator's.
   *
   * ON DELETE RESTRICT, on purpose:
   * - SET NULL would hand an organization's routes and upstreams to the operator
   *   without anyone deciding it, still serving traffic nobody in an organization sees;
   * - CASCADE would make deleting an organization silently delete routes, services and
   *   plugins that live traffic uses, and would fail half-way anyway on an operator
   *   route that points at one of its services (routes.service_id has no action);
   * - RESTRICT refuses to delete an organization that still owns gateway entities:
   *   the owner (or operator) deletes or moves them first, knowingly. It needs no
   *   backfill: existing rows hold null, which no organization deletion touches.
   * The store checks this before deleting and says so in words (deleteOrganization);
   * the constraint is the guarantee.
   */
  '0003_gateway_ownership': atomic({
    async up(db: Kysely<any>) {
      for (const table of ['services', 'routes', 'consumers', 'plugins']) {
        await db.schema
          .alterTable(table)
          .addColumn('organization_id', 'text', (c) => c.references('organizations.id').onDelete('restrict'))
          .execute();
        // Every list an organization's user makes filters on it.
        await db.schema.createIndex(`${table}_organization_id_idx`).on(table).column('organization_id').execute();
      }
    },
    async down(db: Kysely<any>) {
      for (const table of ['services', 'routes', 'consumers', 'plugins']) {
        await db.schema.dropIndex(`${table}_organization_id_idx`).ifExists().execute();
        await db.schema.alterTable(table).dropColumn('organization_id').execute();
      }
    },
  }),

  /**
   * Leases that processes sharing the database take before a step only one of them may
   * run at a time: renewing a session's tokens, since a refresh token may be single-use
   * and a second refresh with it would end the session (src/sessions/database-backend.ts).
   */
  '0004_session_leases': atomic({
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('session_leases')
        .addColumn('name', 'text', (c) => c.primaryKey().notNull())
        .addColumn('holder', 'text', (c) => c.notNull())
        // Epoch milliseconds: leases last seconds.
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('session_leases').ifExists().execute();
    },
  }),

  /**
   * Failed password sign-ins, counted in the database rather than in each process's
   * memory: with N proxy workers an in-process count allowed N times the attempts
   * (src/sign-in/throttle.ts). Keys are keyed hashes, never emails or addresses.
   */
  '0005_sign_in_failures': atomic({
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('sign_in_failures')
        .addColumn('key', 'text', (c) => c.primaryKey().notNull())
        .addColumn('count', 'integer', (c) => c.notNull())
        // Epoch milliseconds: when the window opened (its first failure).
        .addColumn('since', 'bigint', (c) => c.notNull())
        .execute();
      // The purge deletes by age.
      await db.schema.createIndex('sign_in_failures_since_idx').on('sign_in_failures').column('since').execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('sign_in_failures').ifExists().execute();
    },
  }),

  /**
   * The last good discovery document and key set of each OpenID provider, as Kong keeps
   * them in `oic_issuers`: a restart while the provider is down serves these instead of
   * answering 502 (src/oidc/provider-cache.ts).
   */
  '0006_oidc_providers': atomic({
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('oidc_providers')
        // The issuer or discovery URL exactly as a configuration names it.
        .addColumn('key', 'text', (c) => c.primaryKey().notNull())
        .addColumn('discovery', 'text', (c) => c.notNull())
        // Epoch milliseconds.
        .addColumn('discovered_at', 'bigint', (c) => c.notNull())
        .addColumn('jwks', 'text')
        .addColumn('jwks_fetched_at', 'bigint')
        .execute();
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('oidc_providers').ifExists().execute();
    },
  }),

  /**
   * The built-in Gateway Admin role described the gateway as shared by every
   * organization; since 0003 each organization has its own entities. Descriptions an
   * administrator never changed are brought in line.
   */
  '0007_gateway_admin_description': atomic({
    async up(db: Kysely<any>) {
      await db
        .updateTable('roles')
        .set({ description: "The organization's gateway: services, routes, plugins, consumers" })
        .where('builtin', '=', 1)
        .where('name', '=', 'Gateway Admin')
        .where('description', '=', 'The gateway shared by every organization: services, routes, plugins, consumers')
        .execute();
    },
  }),
};

// SQLite lets a non-INTEGER primary key hold NULL unless told otherwise: every id is NOT NULL.

/**
 * Runs a migration in one transaction. Kysely's Migrator wraps migrations only for
 * dialects it marks as having transactional DDL, and it does not mark SQLite, although
 * SQLite rolls back CREATE TABLE fine: without this a failed migration would leave half
 * a schema behind.
 */
function atomic(migration: Migration): Migration {
  const wrap = (step: (db: Kysely<any>) => Promise<void>) => async (db: Kysely<any>) => {
    if (db.isTransaction) return step(db);
    await db.transaction().execute((trx) => step(trx));
  };
  return { up: wrap(migration.up), ...(migration.down ? { down: wrap(migration.down) } : {}) };
}

/** Serves the list above to Kysely's Migrator. */
export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};

/** Names of every migration this build knows, oldest first. */
export const migrationNames: readonly string[] = Object.keys(migrations);

/**
 * Brings the schema up to date and returns the names of the migrations that ran
 * (empty when it already was). Safe to call at every start.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new GatehouseError(
      STORE_MIGRATION,
      `database migration ${failed ? `'${failed}' ` : ''}failed: ${error instanceof Error ? error.message : String(error)}; ` +
        'that migration was rolled back; check that the database file belongs to this Gatehouse version and is writable',
      { cause: error },
    );
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
