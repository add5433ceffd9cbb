import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import type { Lease, SessionBackend } from './store.js';

interface SessionDatabase {
  sessions: {
    id: string;
    subject: string | null;
    data: string;
    expires_at: number;
  };
  session_leases: {
    name: string;
    holder: string;
    /** Epoch milliseconds. */
    expires_at: number;
  };
}

/**
 * Session records in the database (the `sessions` and `session_leases` tables), so they
 * survive restarts and are shared by every worker and node using the same database.
 * Records hold tokens, so they are encrypted with the key ring; the id column holds a
 * hash-free random id that is useless without the sealed cookie that names it.
 */
export class DatabaseSessionBackend implements SessionBackend {
  readonly #db: Kysely<SessionDatabase>;
  readonly #keyRing: KeyRing;

  constructor(db: Kysely<any>, keyRing: KeyRing) {
    this.#db = db as Kysely<SessionDatabase>;
    this.#keyRing = keyRing;
  }

  async get(id: string): Promise<unknown> {
    const row = await this.#db
      .selectFrom('sessions')
      .select(['data', 'expires_at'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row || row.expires_at <= now()) return undefined;
    return this.#open(row.data);
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    const data = await this.#keyRing.encrypt(JSON.stringify(record), 'session-record');
    await this.#db
      .insertInto('sessions')
      .values({ id, subject: subject ?? null, data, expires_at: Math.ceil(expiresAt) })
      .onConflict((conflict) =>
        conflict.column('id').doUpdateSet({ subject: subject ?? null, data, expires_at: Math.ceil(expiresAt) }),
      )
      .execute();
  }

  async take(id: string): Promise<unknown> {
    // DELETE ... RETURNING makes the read and the removal one step: two callbacks
    // racing with the same authorization state cannot both win.
    const row = await this.#db
      .deleteFrom('sessions')
      .where('id', '=', id)
      .returning(['data', 'expires_at'])
      .executeTakeFirst();
    if (!row || row.expires_at <= now()) return undefined;
    return this.#open(row.data);
  }

  async delete(id: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteBySubject(subject: string): Promise<string[]> {
    const rows = await this.#db.deleteFrom('sessions').where('subject', '=', subject).returning('id').execute();
    return rows.map((row) => row.id);
  }

  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    const data = await this.#keyRing.encrypt(JSON.stringify(record), 'session-record');
    const result = await this.#db
      .updateTable('sessions')
      .set({ subject: subject ?? null, data, expires_at: Math.ceil(expiresAt) })
      .where('id', '=', id)
      .where('expires_at', '>', now())
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * One statement decides who holds the lease: insert it, or take it over once it has
   * expired. SQLite runs one writer at a time (across processes too, with the busy
   * timeout), so two processes asking at once cannot both be told yes.
   */
  async lease(name: string, ttlMs: number): Promise<Lease | undefined> {
    const holder = randomBytes(12).toString('base64url');
    const at = Date.now();
    const result = await this.#db
      .insertInto('session_leases')
      .values({ name, holder, expires_at: at + ttlMs })
      .onConflict((conflict) =>
        conflict
          .column('name')
          .doUpdateSet((update) => ({ holder: update.ref('excluded.holder'), expires_at: update.ref('excluded.expires_at') }))
          .where('session_leases.expires_at', '<=', at),
      )
      .executeTakeFirst();
    if (Number(result.numInsertedOrUpdatedRows ?? 0) === 0) return undefined;
    return {
      release: async () => {
        await this.#db.deleteFrom('session_leases').where('name', '=', name).where('holder', '=', holder).execute();
      },
    };
  }

  /** The database belongs to the runtime, which closes it. */
  async close(): Promise<void> {}

  /** Removes expired records (and leases nobody released); called on a timer. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db.deleteFrom('sessions').where('expires_at', '<=', now()).executeTakeFirst();
    await this.#db.deleteFrom('session_leases').where('expires_at', '<=', Date.now()).execute();
    return Number(result.numDeletedRows);
  }

  async #open(data: string): Promise<unknown> {
    try {
      return JSON.parse(await this.#keyRing.decrypt(data, 'session-record')) as unknown;
    } catch {
      // Sealed with a key that is gone: the session is simply over.
      return undefined;
    }
  }
}

function now(): number {
  return Math.floor(Date.now() / 1000);
}
