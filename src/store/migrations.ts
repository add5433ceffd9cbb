import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { GatehouseError } from '../errors.js';
import type { Database } from './schema.js';

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
      'GH-STORE-MIGRATION',
      `database migration ${failed ? `'${failed}' ` : ''}failed: ${error instanceof Error ? error.message : String(error)}; ` +
        'that migration was rolled back; check that the database file belongs to this Gatehouse version and is writable',
      { cause: error },
    );
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}
