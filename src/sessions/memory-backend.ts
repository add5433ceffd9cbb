import { LRUCache } from 'lru-cache';
import type { Lease, SessionBackend } from './store.js';

interface StoredRecord {
  /** As JSON, as a shared backend holds it: callers change the records they read in place. */
  json: string;
  expiresAt: number;
  subject: string | undefined;
}

/**
 * The backend of a process that persists nothing (tests, a gateway without a shared
 * store): records and leases in this process only, bounded by count. Its leases exclude
 * the other requests of this process, which is everyone there is to exclude.
 */
export class MemorySessionBackend implements SessionBackend {
  readonly #records: LRUCache<string, StoredRecord>;
  readonly #bySubject = new Map<string, Set<string>>();
  readonly #leases = new Map<string, { expiresAt: number }>();

  constructor(options: { max?: number } = {}) {
    this.#records = new LRUCache<string, StoredRecord>({
      max: options.max ?? 100_000,
      dispose: (stored, id) => this.#unindex(id, stored.subject),
    });
  }

  async get(id: string): Promise<unknown> {
    const stored = this.#live(id);
    return stored && JSON.parse(stored.json);
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    const json = JSON.stringify(record);
    // Deleted first, so the old subject is unindexed by the disposal.
    this.#records.delete(id);
    this.#records.set(id, { json, expiresAt, subject });
    if (subject !== undefined) {
      const ids = this.#bySubject.get(subject);
      if (ids) ids.add(id);
      else this.#bySubject.set(subject, new Set([id]));
    }
  }

  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    if (!this.#live(id)) return false;
    await this.set(id, record, expiresAt, subject);
    return true;
  }

  async take(id: string): Promise<unknown> {
    const stored = this.#live(id);
    this.#records.delete(id);
    return stored && JSON.parse(stored.json);
  }

  async delete(id: string): Promise<void> {
    this.#records.delete(id);
  }

  async deleteBySubject(subject: string): Promise<string[]> {
    const ids = [...(this.#bySubject.get(subject) ?? [])];
    for (const id of ids) this.#records.delete(id);
    return ids;
  }

  async lease(name: string, ttlMs: number): Promise<Lease | undefined> {
    const at = Date.now();
    const held = this.#leases.get(name);
    if (held && held.expiresAt > at) return undefined;
    const mine = { expiresAt: at + ttlMs };
    this.#leases.set(name, mine);
    return {
      release: async () => {
        if (this.#leases.get(name) === mine) this.#leases.delete(name);
      },
    };
  }

  async close(): Promise<void> {}

  #live(id: string): StoredRecord | undefined {
    const stored = this.#records.get(id);
    if (stored && stored.expiresAt <= Date.now() / 1000) {
      this.#records.delete(id);
      return undefined;
    }
    return stored;
  }

  #unindex(id: string, subject: string | undefined): void {
    if (subject === undefined) return;
    const ids = this.#bySubject.get(subject);
    ids?.delete(id);
    if (ids?.size === 0) this.#bySubject.delete(subject);
  }
}
