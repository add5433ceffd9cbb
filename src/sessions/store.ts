/**
 * Server-side records behind sealed cookie handles: browser sessions, pending sign-ins,
 * single-use markers; and short leases between the processes that share them.
 *
 * A new backend (Redis, PostgreSQL) implements `SessionBackend` below, every method, and
 * nothing more; what a process keeps in memory in front of it, and telling the other
 * processes what changed, is not the backend's business. It must:
 * - keep records as JSON values: what it answers is what was written, as JSON gives it
 *   back (keys whose value is undefined are gone), and never the object the caller holds;
 * - never answer a record whose `expiresAt` (epoch seconds) has passed; it may keep it
 *   until the end of that second (whole-second TTLs), and forget it any time after;
 * - `replace` only a record that exists and has not expired, in one step: a write that
 *   lands after another process deleted the record must not bring it back;
 * - `take` in one step: of two callers taking the same id at once, one gets the record;
 * - `deleteBySubject` every record written with that subject (by `set` or `replace`;
 *   a rewrite with another subject moves it), answering their ids;
 * - grant a `lease` to one holder at a time across every process using the backend,
 *   not reentrant, lapsing by itself after `ttlMs`; `release` frees only its own lease;
 * - `close` what it opened.
 * test/sessions/backend-conformance.test.ts checks all of this against every backend: add
 * a new one to its list.
 */
export interface SessionBackend {
  /** The record, or undefined when missing or expired. */
  get(id: string): Promise<unknown>;
  /** Creates or overwrites a record that disappears at `expiresAt` (epoch seconds); `subject` groups records for `deleteBySubject`. */
  set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void>;
  /** `set`, only while the record exists and has not expired; false when it did not. */
  replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean>;
  /** Reads and deletes a record in one step, so it can be used once only. */
  take(id: string): Promise<unknown>;
  delete(id: string): Promise<void>;
  /** Deletes every record of a subject (deactivation, back-channel logout); answers their ids, which memory tiers drop. */
  deleteBySubject(subject: string): Promise<string[]>;
  /**
   * A short exclusive lease shared by every process on the backend, or undefined while
   * another holder has it. It lapses by itself after `ttlMs`, so a holder that dies
   * blocks nobody for long.
   */
  lease(name: string, ttlMs: number): Promise<Lease | undefined>;
  close(): Promise<void>;
}

export interface Lease {
  release(): Promise<void>;
}


export interface SessionStore {
  /** The record, or undefined when missing or expired. */
  get<T = unknown>(id: string): Promise<T | undefined>;
  /** Creates or replaces a record that disappears at `expiresAt` (epoch seconds). */
  set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void>;
  /** Reads and deletes a record in one step, so it can be used once only. */
  take<T = unknown>(id: string): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /** Deletes every record of a subject (deactivation, back-channel logout); returns how many. */
  deleteBySubject(subject: string): Promise<number>;
  /**
   * `deleteBySubject` that says which records went, so a memory tier in front of this
   * store needs no subject index of its own (see TieredSessionStore).
   */
  removeBySubject?(subject: string): Promise<string[]>;
  /**
   * Replaces a record only while it exists; false when it is gone. For rewrites of a live
   * session (the idle clock, refreshed tokens): a write that lands after another process
   * ended the session must not bring it back.
   */
  replace?(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean>;
  /**
   * The record when this process holds it in memory, without waiting; `undefined` says
   * only that it is not here (then call `get`). Stores that keep nothing in memory leave it out.
   */
  peek?<T = unknown>(id: string): T | undefined;
  /** The record as the shared store holds it now, past any copy this process keeps in memory. */
  fresh?<T = unknown>(id: string): Promise<T | undefined>;
  /**
   * A short exclusive lease shared by every process on the store, or undefined while
   * another holder has it. It expires by itself after `ttlMs`, so a holder that dies
   * blocks nobody for long.
   */
  lease?(name: string, ttlMs: number): Promise<Lease | undefined>;
  close?(): Promise<void>;
}
