import type { Kysely } from 'kysely';
import type { SignInFailuresTable } from '../store/schema.js';

/** The one table this module reads and writes. */
interface ThrottleDatabase {
  sign_in_failures: SignInFailuresTable;
}

/** Computes the stored key; in production the key ring's keyed fingerprint. */
export type KeyHasher = (key: string) => string;

export interface SignInThrottleOptions {
  /**
   * How keys are stored. A plain hash of an email, or of an IPv4 address (2^32 of
   * them), is reversed by trying candidates offline, so production passes a keyed
   * hash (HMAC with a key from GATEHOUSE_KEYS): the table then holds nothing that
   * names a person or an address, and keys have a fixed length however long the typed
   * email was. A key rotation starts every count afresh, which errs on the side of
   * the user and happens rarely.
   */
  hash: KeyHasher;
  /** Tests move the clock instead of waiting out the window. */
  now?: () => number;
}

/**
 * Failed password sign-ins, per account and per client address: five failures per
 * account (twenty per address) in fifteen minutes lock further attempts for the rest
 * of the window, which opens at the first failure. A success clears the account's
 * count and takes one off the address's.
 *
 * Counts live in the database every process shares, so the limit holds however many
 * proxy workers take the attempts. Each change is one SQL statement (SQLite runs one
 * writer at a time, across processes too), never a read followed by a write, so two
 * processes counting at once cannot lose a failure.
 */
export class SignInThrottle {
  static readonly LIMIT = 5;
  static readonly ADDRESS_LIMIT = 20; // LIMIT × 4, written out: the built class cannot read LIMIT while it initialises
  static readonly WINDOW_MS = 15 * 60_000;

  readonly #db: Kysely<ThrottleDatabase>;
  readonly #hash: KeyHasher;
  readonly #now: () => number;

  constructor(db: Kysely<any>, options: SignInThrottleOptions) {
    this.#db = db as Kysely<ThrottleDatabase>;
    this.#hash = options.hash;
    this.#now = options.now ?? Date.now;
  }

  #keys(account: string, address: string): { account: string; address: string } {
    return { account: this.#hash(`a:${account}`), address: this.#hash(`ip:${address}`) };
  }

  /** Seconds until a window that holds a full count closes, per row; 0 when under its limit. */
  #wait(
    rows: ReadonlyArray<{ key: string; count: number; since: number }>,
    addressKey: string,
    at: number,
    over: (count: number, limit: number) => boolean,
  ): number {
    let wait = 0;
    for (const row of rows) {
      const limit = row.key === addressKey ? SignInThrottle.ADDRESS_LIMIT : SignInThrottle.LIMIT;
      const ends = Number(row.since) + SignInThrottle.WINDOW_MS;
      if (ends > at && over(Number(row.count), limit)) wait = Math.max(wait, Math.ceil((ends - at) / 1000));
    }
    return wait;
  }

  /** Seconds to wait before another attempt for this account from this address; 0 when one may try now. */
  async retryAfter(account: string, address: string): Promise<number> {
    const keys = this.#keys(account, address);
    const at = this.#now();
    const rows = await this.#db
      .selectFrom('sign_in_failures')
      .select(['key', 'count', 'since'])
      .where('key', 'in', [keys.account, keys.address])
      .where('since', '>', at - SignInThrottle.WINDOW_MS)
      .execute();
    return this.#wait(rows, keys.address, at, (count, limit) => count >= limit);
  }

  /**
   * Counts a failure for the account and the address (before the password is checked,
   * so concurrent guesses are counted too). Returns the seconds to wait when this
   * attempt itself went past a limit, which happens when attempts made in parallel all
   * passed `retryAfter`: the caller refuses it like a locked one. Both counters change
   * in one statement; a window that has closed starts again at one.
   */
  async fail(account: string, address: string): Promise<number> {
    const keys = this.#keys(account, address);
    const at = this.#now();
    const closed = at - SignInThrottle.WINDOW_MS;
    const rows = await this.#db
      .insertInto('sign_in_failures')
      .values([
        { key: keys.account, count: 1, since: at },
        { key: keys.address, count: 1, since: at },
      ])
      .onConflict((conflict) =>
        conflict.column('key').doUpdateSet((update) => ({
          // Both right-hand sides read the row as it was before this update.
          count: update
            .case()
            .when('sign_in_failures.since', '<=', closed)
            .then(1)
            .else(update('sign_in_failures.count', '+', 1))
            .end(),
          since: update
            .case()
            .when('sign_in_failures.since', '<=', closed)
            .then(update.ref('excluded.since'))
            .else(update.ref('sign_in_failures.since'))
            .end(),
        })),
      )
      .returning(['key', 'count', 'since'])
      .execute();
    return this.#wait(rows, keys.address, at, (count, limit) => count > limit);
  }

  /** A successful sign-in: the account starts afresh; the address gets one attempt back. */
  async succeed(account: string, address: string): Promise<void> {
    const keys = this.#keys(account, address);
    await this.#db.deleteFrom('sign_in_failures').where('key', '=', keys.account).execute();
    await this.#db
      .updateTable('sign_in_failures')
      .set((update) => ({ count: update('count', '-', 1) }))
      .where('key', '=', keys.address)
      .where('count', '>', 0)
      .execute();
  }

  /** Removes counts whose window has closed (they no longer lock anything); the primary calls it on a timer. */
  async purgeExpired(): Promise<number> {
    const result = await this.#db
      .deleteFrom('sign_in_failures')
      .where('since', '<=', this.#now() - SignInThrottle.WINDOW_MS)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
