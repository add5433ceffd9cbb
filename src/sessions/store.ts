import { localSessionEvents, type SessionEvents, type SessionNotice } from './events.js';
import { MemoryTier, type RecordPacking } from './memory-tier.js';

/**
 * Server-side records behind sealed cookie handles: browser sessions, pending sign-ins,
 * single-use markers; and short leases between the processes that share them.
 *
 * The product uses `SessionStore`: one facade over a backend, with this process's memory
 * tier in front (src/sessions/memory-tier.ts) and notices to the other processes'
 * memory tiers (src/sessions/events.ts). Callers ask for a record, or for it fresh from
 * the backend, and the store decides whether memory answers.
 *
 * A new backend (Redis, PostgreSQL) implements `SessionBackend`, every method, and
 * nothing more: memory, packing and notices are the facade's. It must:
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

/**
 * The session store the product uses: a request whose record is in this process's memory
 * costs a map lookup; a miss (after a restart, or for a record made by another worker)
 * reads the backend once and keeps the record in memory.
 *
 * With several processes on one backend (workers), each has its own memory tier, so
 * every write and removal is announced through `events` and the other processes drop
 * their copy (src/sessions/events.ts). Removals wait for that: when `delete` resolves,
 * no process serves the record from memory any more.
 */
export class SessionStore {
  readonly #memory: MemoryTier;
  readonly #backend: SessionBackend;
  readonly #events: SessionEvents;
  /**
   * Reads of the backend in flight, by id. One that overlaps a change or removal of its
   * record (here or in another process) may have fetched what is gone now: it answers
   * its own request, which started before the removal finished, but is not cached, or it
   * would outlive the removal.
   */
  readonly #loading = new Map<string, Array<{ stale: boolean }>>();

  constructor(
    backend: SessionBackend,
    options: {
      /** How many records memory holds (default 100,000). */
      memoryMax?: number;
      /** How many of them stay unpacked (MemoryTier's `inUseMax`). */
      inUseMax?: number;
      /** How the other processes hear of changes; default: there are none. */
      events?: SessionEvents;
      /** The compact form memory keeps a kind of record in while it is idle, by id prefix. */
      packings?: Readonly<Record<string, RecordPacking>>;
    } = {},
  ) {
    this.#backend = backend;
    this.#memory = new MemoryTier({ max: options.memoryMax, inUseMax: options.inUseMax, packings: options.packings });
    this.#events = options.events ?? localSessionEvents;
    this.#events.subscribe((notice) => this.#forget(notice));
  }

  /**
   * The record when this process holds it in memory, without waiting (the proxy's fast
   * path); `undefined` says only that it is not here: then call `get`.
   */
  peek<T>(id: string): T | undefined {
    return this.#memory.peek<T>(id);
  }

  /**
   * The record, or undefined when missing or expired. `fresh` reads the backend past this
   * process's memory copy (another process may have rewritten or ended the record) and
   * updates the copy in place: dropping it first would churn the memory tier's maps for
   * every session whose idle clock is persisted.
   */
  async get<T>(id: string, options?: { fresh?: boolean }): Promise<T | undefined> {
    if (!options?.fresh) {
      const cached = this.#memory.peek<T>(id);
      if (cached !== undefined) return cached;
    }
    return this.#load<T>(id);
  }

  async #load<T>(id: string): Promise<T | undefined> {
    const load = { stale: false };
    const loads = this.#loading.get(id) ?? [];
    this.#loading.set(id, [...loads, load]);
    let stored: StoredWithMeta<T> | undefined;
    try {
      stored = (await this.#backend.get(id)) as StoredWithMeta<T> | undefined;
    } finally {
      const remaining = (this.#loading.get(id) ?? []).filter((other) => other !== load);
      if (remaining.length > 0) this.#loading.set(id, remaining);
      else this.#loading.delete(id);
    }
    if (stored === undefined) {
      // Gone from the backend: so is any copy here (a stale read leaves that to the change that overtook it).
      if (!load.stale) this.#memory.drop(id);
      return undefined;
    }
    if (!load.stale) this.#memory.put(id, stored.record, stored.expiresAt);
    return stored.record;
  }

  #changed(id: string): void {
    for (const load of this.#loading.get(id) ?? []) load.stale = true;
  }

  /** Creates or replaces a record that disappears at `expiresAt` (epoch seconds); `subject` is for `deleteBySubject`. */
  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    this.#changed(id);
    await this.#backend.set(id, { record, expiresAt } satisfies StoredWithMeta<unknown>, expiresAt, subject);
    this.#memory.put(id, record, expiresAt);
    await this.#events.publish({ ids: [id] }, { wait: false });
  }

  /**
   * Replaces a record only while it exists; false when it is gone. For rewrites of a live
   * session (the idle clock, refreshed tokens): a write that lands after another process
   * ended the session must not bring it back.
   */
  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    this.#changed(id);
    const stored = { record, expiresAt } satisfies StoredWithMeta<unknown>;
    const replaced = await this.#backend.replace(id, stored, expiresAt, subject);
    if (replaced) this.#memory.put(id, record, expiresAt);
    else this.#memory.drop(id);
    await this.#events.publish({ ids: [id] }, { wait: false });
    return replaced;
  }

  /** Reads and deletes a record in one step, so it can be used once only. */
  async take<T>(id: string): Promise<T | undefined> {
    this.#changed(id);
    this.#memory.drop(id);
    const stored = (await this.#backend.take(id)) as StoredWithMeta<T> | undefined;
    await this.#events.publish({ ids: [id] }, { wait: true });
    return stored?.record;
  }

  async delete(id: string): Promise<void> {
    this.#changed(id);
    this.#memory.drop(id);
    await this.#backend.delete(id);
    await this.#events.publish({ ids: [id] }, { wait: true });
  }

  /** Deletes every record of a subject (deactivation, back-channel logout); answers how many. */
  async deleteBySubject(subject: string): Promise<number> {
    const ids = await this.#backend.deleteBySubject(subject);
    for (const id of ids) {
      this.#changed(id);
      this.#memory.drop(id);
    }
    if (ids.length > 0) await this.#events.publish({ ids }, { wait: true });
    return ids.length;
  }

  /** The backend's lease (see SessionBackend): one holder at a time across every process. */
  lease(name: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#backend.lease(name, ttlMs);
  }

  /** How many records this process holds in memory (reported by `GET /status`). */
  get recordsInMemory(): number {
    return this.#memory.size;
  }

  /** Drops this process's copies of what another process changed or ended. */
  #forget(notice: SessionNotice): void {
    for (const id of notice.ids) {
      this.#changed(id);
      this.#memory.drop(id);
    }
  }

  async close(): Promise<void> {
    await this.#backend.close();
  }
}

/**
 * What the facade writes to the backend: the exact expiry goes with the record (a
 * backend may keep whole seconds) so a memory miss can rebuild the entry; the subject is
 * the backend's own.
 */
interface StoredWithMeta<T> {
  record: T;
  expiresAt: number;
}
