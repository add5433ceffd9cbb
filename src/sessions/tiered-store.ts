import { MemorySessionStore } from './memory-store.js';
import type { SessionStore } from './store.js';

/**
 * A memory LRU in front of a persistent store: a request whose session is in memory
 * costs a map lookup; a miss (after a restart, or for a session made by another
 * worker) reads the persistent store once and keeps the record in memory.
 */
export class TieredSessionStore implements SessionStore {
  readonly memory: MemorySessionStore;
  readonly #backing: SessionStore;

  constructor(backing: SessionStore, options: { memoryMax?: number } = {}) {
    this.#backing = backing;
    this.memory = new MemorySessionStore(options.memoryMax === undefined ? {} : { max: options.memoryMax });
  }

  async get<T>(id: string): Promise<T | undefined> {
    const cached = this.memory.peek<T>(id);
    if (cached !== undefined) return cached;
    const stored = await this.#backing.get<StoredWithMeta<T>>(id);
    if (stored === undefined) return undefined;
    this.memory.put(id, stored.record, stored.expiresAt, stored.subject);
    return stored.record;
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    await this.#backing.set(id, { record, expiresAt, subject } satisfies StoredWithMeta<unknown>, expiresAt, subject);
    this.memory.put(id, record, expiresAt, subject);
  }

  async take<T>(id: string): Promise<T | undefined> {
    await this.memory.delete(id);
    const stored = await this.#backing.take<StoredWithMeta<T>>(id);
    return stored?.record;
  }

  async delete(id: string): Promise<void> {
    await this.memory.delete(id);
    await this.#backing.delete(id);
  }

  async deleteBySubject(subject: string): Promise<number> {
    await this.memory.deleteBySubject(subject);
    return this.#backing.deleteBySubject(subject);
  }

  async close(): Promise<void> {
    await this.#backing.close?.();
  }
}

/** The persistent layer keeps expiry and subject with the record so a memory miss can rebuild the entry. */
interface StoredWithMeta<T> {
  record: T;
  expiresAt: number;
  subject: string | undefined;
}
