import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { Migrator, sql, type Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import { DatabaseSessionBackend } from '../../src/sessions/database-backend.js';
import { migrateToLatest, migrationNames, openDatabase, parseDatabaseUrl } from '../../src/store/index.js';
import { readConsistently } from '../../src/store/database.js';
import type { Database } from '../../src/store/schema.js';
import { migrationProvider } from '../../src/store/migrations.js';

describe('openDatabase', () => {
  it('parses sqlite URLs, relative to the working directory', () => {
    assert.deepEqual(parseDatabaseUrl('sqlite::memory:'), { dialect: 'sqlite', memory: true });
    assert.deepEqual(parseDatabaseUrl('sqlite:/var/lib/gh.db'), { dialect: 'sqlite', path: '/var/lib/gh.db' });
    assert.deepEqual(parseDatabaseUrl('sqlite:data/gh.db'), { dialect: 'sqlite', path: join(process.cwd(), 'data/gh.db') });
    assert.deepEqual(parseDatabaseUrl('sqlite://data/gh.db'), { dialect: 'sqlite', path: join(process.cwd(), 'data/gh.db') });
  });

  it('refuses other schemes with a clear error', () => {
    assert.throws(() => parseDatabaseUrl('postgres://u:p@db/gatehouse'), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'GH-STORE-UNSUPPORTED');
      assert.match(error.message, /PostgreSQL is not wired yet.*dialect away/);
      assert.equal(error.message.includes('u:p'), false, 'credentials are not echoed');
      return true;
    });
    assert.throws(() => parseDatabaseUrl('mysql://db/x'), { code: 'GH-STORE-URL' });
    assert.throws(() => parseDatabaseUrl('sqlite:'), { code: 'GH-STORE-URL' });
  });

  it('creates the folder, uses WAL, enforces foreign keys and waits when busy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
    const file = join(dir, 'nested', 'deeper', 'gh.db');
    const db = await openDatabase(`sqlite:${relative(process.cwd(), file)}`);
    try {
      assert.ok(existsSync(join(dir, 'nested', 'deeper')));
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
      assert.equal(String(await pragma('journal_mode')).toLowerCase(), 'wal');
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 5000);
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('transactions across processes', () => {
  /**
   * Gatehouse's handle on a file with one consumer row, and another process's (a proxy
   * worker saving a session or a provider's metadata): a second connection to the same
   * file, which gives up after 100 ms instead of 5 s.
   */
  async function withAnotherProcess(test: (db: Kysely<Database>, other: SQLite.Database) => Promise<void>): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-store-'));
    const file = join(dir, 'gh.db');
    const db = await openDatabase(`sqlite:${file}`);
    const other = new SQLite(file, { timeout: 100 });
    try {
      await migrateToLatest(db);
      await db.insertInto('consumers').values({ id: 'c1', username: 'first', custom_id: null, tags: '[]', created_at: 1, updated_at: 1 }).execute();
      await test(db, other);
    } finally {
      other.close();
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a transaction that reads and then writes commits although another process wrote in between', () =>
    withAnotherProcess(async (db, other) => {
      let otherWrite: unknown;
      await db.transaction().execute(async (trx) => {
        await trx.selectFrom('consumers').selectAll().execute();
        try {
          other.prepare("update consumers set updated_at = 2 where id = 'c1'").run();
          otherWrite = 'written';
        } catch (error) {
          otherWrite = (error as { code?: string }).code;
        }
        await trx.updateTable('consumers').set({ username: 'renamed' }).where('id', '=', 'c1').execute();
      });
      // The transaction held the write lock from its start: the other writer waited (and
      // here, with its short timeout, gave up) instead of making the transaction fail.
      assert.equal(otherWrite, 'SQLITE_BUSY');
      assert.equal((await db.selectFrom('consumers').select('username').where('id', '=', 'c1').executeTakeFirstOrThrow()).username, 'renamed');
    }));

  it('a reading transaction does not hold the write lock', () =>
    withAnotherProcess(async (db, other) => {
      const seen = await readConsistently(db, async (reader) => {
        const before = await reader.selectFrom('consumers').select('username').executeTakeFirstOrThrow();
        other.prepare("update consumers set username = 'changed' where id = 'c1'").run();
        const after = await reader.selectFrom('consumers').select('username').executeTakeFirstOrThrow();
        return [before.username, after.username];
      });
      assert.deepEqual(seen, ['first', 'first'], 'one consistent view, and the writer was not kept waiting');
      assert.equal((await db.selectFrom('consumers').select('username').executeTakeFirstOrThrow()).username, 'changed');
    }));
});

describe('migrateToLatest', () => {
  it('creates every table once and reports what ran', async () => {
    const db = await openDatabase('sqlite::memory:');
    try {
      assert.deepEqual(await migrateToLatest(db), [...migrationNames]);
      assert.deepEqual(await migrateToLatest(db), [], 'a second run has nothing to do');
      const tables = await db.introspection.getTables();
      const names = tables.map((table) => table.name);
      for (const table of ['services', 'routes', 'plugins', 'consumers', 'sessions']) assert.ok(names.includes(table), table);
      const sessions = tables.find((table) => table.name === 'sessions')!;
      const columns = Object.fromEntries(sessions.columns.map((column) => [column.name, column]));
      assert.equal(columns.id?.isNullable, false);
      assert.equal(columns.subject?.isNullable, true);
      assert.equal(columns.data?.isNullable, false);
      assert.equal(columns.expires_at?.isNullable, false);
      const indexes = (await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'sessions'`.execute(db)).rows.map((row) => row.name);
      assert.ok(indexes.includes('sessions_subject_idx'));
      assert.ok(indexes.includes('sessions_expires_at_idx'));
    } finally {
      await db.destroy();
    }
  });

  it('brings the Gateway Admin role’s description in line with per-organization gateways (0007), leaving changed ones alone', async () => {
    const db = await openDatabase('sqlite::memory:');
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      await migrator.migrateTo('0006_oidc_providers');
      const old = 'The gateway shared by every organization: services, routes, plugins, consumers';
      await db.insertInto('organizations').values({ id: 'o1', name: 'Acme', login_path: 'acme', sso_enabled: 0, owner_user_id: null, created_at: 0, updated_at: 0 } as never).execute();
      for (const [id, description] of [['r1', old], ['r2', 'Our own words']]) {
        await db.insertInto('roles').values({ id, organization_id: 'o1', name: id === 'r1' ? 'Gateway Admin' : 'Gateway Admin 2', description, builtin: 1, created_at: 0, updated_at: 0 } as never).execute();
      }
      assert.deepEqual(await migrateToLatest(db), ['0007_gateway_admin_description']);
      const descriptions = await db.selectFrom('roles').select(['id', 'description']).orderBy('id').execute();
      assert.deepEqual(descriptions, [
        { id: 'r1', description: "The organization's gateway: services, routes, plugins, consumers" },
        { id: 'r2', description: 'Our own words' },
      ]);
    } finally {
      await db.destroy();
    }
  });

  it('gives the session store the table it expects', async () => {
    const db = await openDatabase('sqlite::memory:');
    try {
      await migrateToLatest(db);
      const store = new DatabaseSessionBackend(db, KeyRing.fromSecrets(['session-key-0123456789abcdef']));
      const expiresAt = Math.floor(Date.now() / 1000) + 60;
      await store.set('s1', { sub: 'u1' }, expiresAt, 'u1');
      assert.deepEqual(await store.get('s1'), { sub: 'u1' });
      assert.deepEqual(await store.deleteBySubject('u1'), ['s1']);
    } finally {
      await db.destroy();
    }
  });
});
