import { LRUCache } from 'lru-cache';
import type { SessionStore } from './store.js';

interface Entry {
  record: unknown;
  expiresAt: number;
  subject: string | undefined;
}

/**
 * Sessions in this process only, bounded by count. Used alone in tests and
 * single-process set-ups, and as the fast layer in front of a persistent store.
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries: LRUCache<string, Entry>;
  readonly #bySubject = new Map<string, Set<string>>();

  constructor(options: { max?: number } = {}) {
    this.#entries = new LRUCache<string, Entry>({
      max: options.max ?? 100_000,
      dispose: (entry, id) => this.#unindex(id, entry.subject),
    });
  }

  async get<T>(id: string): Promise<T | undefined> {
    return this.peek<T>(id);
  }

  /** Synchronous read, so the proxy path does not pay for a promise on a cache hit. */
  peek<T>(id: string): T | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now() / 1000) {
      this.#entries.delete(id);
      return undefined;
    }
    return entry.record as T;
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    this.put(id, record, expiresAt, subject);
  }

  put(id: string, record: unknown, expiresAt: number, subject?: string): void {
    this.#entries.set(id, { record, expiresAt, subject });
    if (subject !== undefined) {
      let ids = this.#bySubject.get(subject);
      if (!ids) this.#bySubject.set(subject, (ids = new Set()));
      ids.add(id);
    }
  }

  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    if (this.peek(id) === undefined) return false;
    this.put(id, record, expiresAt, subject);
    return true;
  }

  async fresh<T>(id: string): Promise<T | undefined> {
    return this.peek<T>(id);
  }

  async take<T>(id: string): Promise<T | undefined> {
    const record = this.peek<T>(id);
    this.#entries.delete(id);
    return record;
  }

  async delete(id: string): Promise<void> {
    this.#entries.delete(id);
  }

  async deleteBySubject(subject: string): Promise<number> {
    const ids = [...(this.#bySubject.get(subject) ?? [])];
    for (const id of ids) this.#entries.delete(id);
    return ids.length;
  }

  get size(): number {
    return this.#entries.size;
  }

  #unindex(id: string, subject: string | undefined): void {
    if (subject === undefined) return;
    const ids = this.#bySubject.get(subject);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.#bySubject.delete(subject);
  }
}
