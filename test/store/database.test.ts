import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { Migrator, sql } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import { DatabaseSessionBackend } from '../../src/sessions/database-backend.js';
import { migrateToLatest, migrationNames, openDatabase, parseDatabaseUrl } from '../../src/store/index.js';
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
