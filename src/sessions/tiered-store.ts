import { localSessionEvents, type SessionEvents, type SessionNotice } from './events.js';
import { MemoryTier, type RecordPacking } from './memory-tier.js';
import type { Lease, SessionBackend, SessionStore } from './store.js';

/**
 * A memory LRU in front of a persistent store: a request whose session is in memory
 * costs a map lookup; a miss (after a restart, or for a session made by another
 * worker) reads the persistent store once and keeps the record in memory.
 *
 * With several processes on one store (workers), each has its own memory tier, so
 * every write and removal is announced through `events` and the other processes drop
 * their copy (src/sessions/events.ts). Removals wait for that: when `delete` resolves,
 * no process serves the record from memory any more.
 */
export class TieredSessionStore implements SessionStore {
  readonly memory: MemoryTier;
  readonly #backing: SessionBackend;
  readonly #events: SessionEvents;
  /**
   * Reads of the persistent store in flight, by id. One that overlaps a change or removal
   * of its record (here or in another process) may have fetched what is gone now: it
   * answers its own request, which started before the removal finished, but is not
   * cached, or it would outlive the removal.
   */
  readonly #loading = new Map<string, Array<{ stale: boolean }>>();

  constructor(
    backing: SessionBackend,
    options: { memoryMax?: number; inUseMax?: number; events?: SessionEvents; packings?: Readonly<Record<string, RecordPacking>> } = {},
  ) {
    this.#backing = backing;
    this.memory = new MemoryTier({ max: options.memoryMax, inUseMax: options.inUseMax, packings: options.packings });
    this.#events = options.events ?? localSessionEvents;
    this.#events.subscribe((notice) => this.forget(notice));
  }

  peek<T>(id: string): T | undefined {
    return this.memory.peek<T>(id);
  }

  async get<T>(id: string): Promise<T | undefined> {
    const cached = this.memory.peek<T>(id);
    if (cached !== undefined) return cached;
    return this.#load<T>(id);
  }

  async #load<T>(id: string): Promise<T | undefined> {
    const load = { stale: false };
    const loads = this.#loading.get(id) ?? [];
    this.#loading.set(id, [...loads, load]);
    let stored: StoredWithMeta<T> | undefined;
    try {
      stored = (await this.#backing.get(id)) as StoredWithMeta<T> | undefined;
    } finally {
      const remaining = (this.#loading.get(id) ?? []).filter((other) => other !== load);
      if (remaining.length > 0) this.#loading.set(id, remaining);
      else this.#loading.delete(id);
    }
    if (stored === undefined) {
      // Gone from the store: so is any copy here (a stale read leaves that to the change that overtook it).
      if (!load.stale) this.memory.drop(id);
      return undefined;
    }
    if (!load.stale) this.memory.put(id, stored.record, stored.expiresAt);
    return stored.record;
  }

  #changed(id: string): void {
    for (const load of this.#loading.get(id) ?? []) load.stale = true;
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    this.#changed(id);
    await this.#backing.set(id, { record, expiresAt } satisfies StoredWithMeta<unknown>, expiresAt, subject);
    this.memory.put(id, record, expiresAt);
    await this.#events.publish({ ids: [id] }, { wait: false });
  }

  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    this.#changed(id);
    const stored = { record, expiresAt } satisfies StoredWithMeta<unknown>;
    const replaced = await this.#backing.replace(id, stored, expiresAt, subject);
    if (replaced) this.memory.put(id, record, expiresAt);
    else this.memory.drop(id);
    await this.#events.publish({ ids: [id] }, { wait: false });
    return replaced;
  }

  /**
   * Reads the persistent store (another process may have rewritten or ended the record)
   * and updates the memory copy in place: dropping it first would churn the memory
   * tier's maps for every session whose idle clock is persisted.
   */
  fresh<T>(id: string): Promise<T | undefined> {
    return this.#load<T>(id);
  }

  lease(name: string, ttlMs: number): Promise<Lease | undefined> {
    return this.#backing.lease(name, ttlMs);
  }

  async take<T>(id: string): Promise<T | undefined> {
    this.#changed(id);
    this.memory.drop(id);
    const stored = (await this.#backing.take(id)) as StoredWithMeta<T> | undefined;
    await this.#events.publish({ ids: [id] }, { wait: true });
    return stored?.record;
  }

  async delete(id: string): Promise<void> {
    this.#changed(id);
    this.memory.drop(id);
    await this.#backing.delete(id);
    await this.#events.publish({ ids: [id] }, { wait: true });
  }

  async deleteBySubject(subject: string): Promise<number> {
    const ids = await this.#backing.deleteBySubject(subject);
    for (const id of ids) {
      this.#changed(id);
      this.memory.drop(id);
    }
    if (ids.length > 0) await this.#events.publish({ ids }, { wait: true });
    return ids.length;
  }

  /** Drops this process's copies of what another process changed or ended. */
  forget(notice: SessionNotice): void {
    for (const id of notice.ids) {
      this.#changed(id);
      this.memory.drop(id);
    }
  }

  async close(): Promise<void> {
    await this.#backing.close();
  }
}

/**
 * The persistent layer keeps the exact expiry with the record (its column is in whole
 * seconds) so a memory miss can rebuild the entry; the subject is the store's own column.
 */
interface StoredWithMeta<T> {
  record: T;
  expiresAt: number;
}
