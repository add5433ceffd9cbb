import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, sql, type DatabaseConnection, type Driver, type SqliteDialectConfig } from 'kysely';
import { GatehouseError } from '../errors.js';
import type { Database } from './schema.js';
import { STORE_OPEN, STORE_UNSUPPORTED, STORE_URL } from './error-codes.js';

/** Where the database lives, parsed from `GATEHOUSE_DATABASE`-style URLs. */
export type DatabaseLocation = { dialect: 'sqlite'; path: string } | { dialect: 'sqlite'; memory: true };

/**
 * SQLite's transactions as Gatehouse uses them: every `db.transaction()` takes the write
 * lock when it begins (BEGIN IMMEDIATE). Several processes share the file (the primary
 * and the proxy workers). A deferred transaction that reads and then writes fails at once
 * with SQLITE_BUSY_SNAPSHOT when another process wrote in between, and the busy timeout
 * cannot help it; an immediate one waits its turn instead. Transactions that only read
 * use `readConsistently`, which takes no lock.
 */
class ImmediateTransactionsDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateTransactionsDriver(this.#config);
  }
}

class ImmediateTransactionsDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

/** How long a writer waits for another process's lock before SQLite reports "database is locked". */
const BUSY_TIMEOUT_MS = 5000;

/**
 * Parses `sqlite:<path>`, `sqlite://<path>` and `sqlite::memory:`. Relative paths are
 * resolved against the working directory, as a user typing them expects.
 */
export function parseDatabaseUrl(url: string): DatabaseLocation {
  const trimmed = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'sqlite') {
    let rest = trimmed.slice('sqlite:'.length);
    if (rest === ':memory:' || rest === '//:memory:') return { dialect: 'sqlite', memory: true };
    if (rest.startsWith('//')) rest = rest.slice(2);
    if (rest === '') {
      throw new GatehouseError(STORE_URL, `database URL '${url}' names no file; use sqlite:<path> (e.g. sqlite:./data/gatehouse.db) or sqlite::memory:`);
    }
    return { dialect: 'sqlite', path: resolve(process.cwd(), rest) };
  }
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new GatehouseError(
      STORE_UNSUPPORTED,
      'PostgreSQL is not wired yet (the store is written with Kysely, so it is a dialect away); use sqlite:<path> for now',
    );
  }
  throw new GatehouseError(
    STORE_URL,
    `unsupported database URL '${scheme ? `${scheme}:...` : url}'; use sqlite:<path> (e.g. sqlite:./data/gatehouse.db) or sqlite::memory:`,
  );
}

/**
 * Opens the database named by `url` (see `parseDatabaseUrl`). SQLite is opened in WAL
 * mode (readers never wait for the writer), with foreign keys enforced and a busy
 * timeout so several worker processes can share one file. Call `migrateToLatest` before use.
 */
export async function openDatabase(url: string): Promise<Kysely<Database>> {
  const location = parseDatabaseUrl(url);
  let file: string;
  if ('memory' in location) {
    file = ':memory:';
  } else {
    file = location.path;
    mkdirSync(dirname(file), { recursive: true });
  }
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (cause) {
    throw new GatehouseError(STORE_OPEN, `cannot open the database file ${file}: ${(cause as Error).message}; check the path and its permissions`, { cause });
  }
  if (file !== ':memory:') {
    sqlite.pragma('journal_mode = WAL');
    // NORMAL is durable across application crashes in WAL mode and much faster than FULL.
    sqlite.pragma('synchronous = NORMAL');
  }
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  return new Kysely<Database>({ dialect: new ImmediateTransactionsDialect({ database: sqlite }) });
}

/**
 * Runs `read` on one snapshot of the database without taking the write lock (WAL readers
 * never wait and never make writers wait), for reads that must be consistent across
 * several queries, such as the gateway configuration. `read` must not write.
 */
export async function readConsistently<T>(db: Kysely<Database>, read: (reader: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.connection().execute(async (connection) => {
    await sql`begin deferred`.execute(connection);
    try {
      const result = await read(connection);
      await sql`commit`.execute(connection);
      return result;
    } catch (error) {
      await sql`rollback`.execute(connection);
      throw error;
    }
  });
}

/** True when the database answers a trivial query (for `GET /status`). */
export async function isDatabaseReachable(db: Kysely<Database>): Promise<boolean> {
  try {
    await sql`select 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}

/** What kind of constraint a driver error reports, across SQLite and PostgreSQL. */
export function constraintKind(error: unknown): 'unique' | 'foreign-key' | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') return 'unique';
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') return 'foreign-key';
  return undefined;
}
