import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createAdminServer, type AdminServerOptions } from '../../src/admin/server.js';
import { KeyRing } from '../../src/crypto/keyring.js';
import type { PluginDefinition, PluginRegistry } from '../../src/gateway/plugin.js';
import { pluginRegistry } from '../../src/gateway/plugins/index.js';
import { silentLogger } from '../../src/log.js';
import { flexInteger, flexStringList } from '../../src/schema/flex.js';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/index.js';

/**
 * A plugin that exists only in tests: secrets at the top level, nested, and in a
 * list, so redaction and encryption are exercised on every path shape.
 */
export const secretTestPlugin: PluginDefinition = {
  name: 'secret-test',
  priority: 1,
  configSchema: z
    .object({
      client_id: z.string().min(1),
      api_key: z.string().min(1).optional(),
      keys: flexStringList.optional(),
      nested: z.object({ token: z.string().optional(), label: z.string().default('none') }).strict().default({ label: 'none' }),
      retries: flexInteger.default(3),
    })
    .strict(),
  secretFields: ['api_key', 'keys', 'nested.token'],
  create: () => ({}),
};

export const testRegistry: PluginRegistry = new Map([...pluginRegistry, [secretTestPlugin.name, secretTestPlugin]]);

export const KEYS = ['test-key-0123456789abcdef0123456789'];

/** The bootstrap token (`GATEHOUSE_ADMIN_TOKEN`) every test Admin API accepts; `call` sends it unless told otherwise. */
export const ADMIN_TOKEN = 'test-admin-bootstrap-token-0123456789abcdef';
export const BOOTSTRAP = { authorization: `Bearer ${ADMIN_TOKEN}` } as const;

export interface TestAdmin {
  url: string;
  app: FastifyInstance;
  db: Kysely<Database>;
  dir: string;
  file: string;
  keyRing: KeyRing;
  /** How often onChange ran. */
  changes: () => number;
  close(): Promise<void>;
  /** Stops the server and closes the database, keeping the files (for restart tests). */
  stop(): Promise<void>;
}

/** A real Admin API on 127.0.0.1, port 0, over a real SQLite file in a fresh temp dir. */
export async function startAdmin(
  options: { dir?: string; onChange?: () => Promise<void> | void; server?: Partial<AdminServerOptions> } = {},
): Promise<TestAdmin> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'gatehouse-admin-'));
  const file = join(dir, 'gatehouse.db');
  const db = await openDatabase(`sqlite:${file}`);
  await migrateToLatest(db);
  const keyRing = KeyRing.fromSecrets(KEYS);
  let changes = 0;
  const app = createAdminServer({
    db,
    keyRing,
    log: silentLogger(),
    plugins: testRegistry,
    adminToken: ADMIN_TOKEN,
    onChange: async () => {
      changes += 1;
      await options.onChange?.();
    },
    ...options.server,
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const stop = async () => {
    await app.close();
    await db.destroy();
  };
  return {
    url,
    app,
    db,
    dir,
    file,
    keyRing,
    changes: () => changes,
    stop,
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * JSON request (objects), form request (URLSearchParams or a string), or none. Sends
 * the bootstrap token unless `headers` has an `authorization` (`''` sends none).
 */
export async function call(admin: { url: string }, method: string, path: string, body?: object | URLSearchParams | string, headers: Record<string, string> = {}): Promise<Answer> {
  const sent: Record<string, string> = { ...BOOTSTRAP, ...headers };
  if (sent.authorization === '') delete sent.authorization;
  const init: RequestInit = { method, headers: sent };
  if (body instanceof URLSearchParams || typeof body === 'string') {
    (init.headers as Record<string, string>)['content-type'] ??= 'application/x-www-form-urlencoded';
    init.body = body.toString();
  } else if (body !== undefined) {
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(`${admin.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}

/** `curl --data a=1 --data b=2`: a form body from pairs, repeated keys kept. */
export function form(...pairs: Array<[string, string]>): URLSearchParams {
  return new URLSearchParams(pairs);
}

export async function countRows(db: Kysely<Database>, table: 'services' | 'routes' | 'plugins' | 'consumers'): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countAll(db: Kysely<Database>): Promise<Record<string, number>> {
  return {
    services: await countRows(db, 'services'),
    routes: await countRows(db, 'routes'),
    plugins: await countRows(db, 'plugins'),
    consumers: await countRows(db, 'consumers'),
  };
}

/** Every byte SQLite wrote for the database: the main file and the WAL. */
export function rawDatabaseBytes(dir: string): Buffer {
  return Buffer.concat(
    readdirSync(dir)
      .filter((name) => name.startsWith('gatehouse.db'))
      .map((name) => readFileSync(join(dir, name))),
  );
}
