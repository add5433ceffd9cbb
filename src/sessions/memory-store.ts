import { LRUCache } from 'lru-cache';
import type { RecordPacking, SessionStore } from './store.js';

interface Entry {
  /** The record itself, or its packed form once it is no longer in use (`packed`). */
  value: unknown;
  packed: boolean;
  packing: RecordPacking | undefined;
  expiresAt: number;
  subject: string | undefined;
}

/** Records kept unpacked, most recently used first (about 4 KB each for a signed-in browser). */
const DEFAULT_IN_USE_MAX = 2_000;

/**
 * Sessions in this process only, bounded by count. Used alone in tests and
 * single-process set-ups, and as the fast layer in front of a persistent store.
 *
 * Most live sessions are idle at any moment, so records with a packing (`packWith`)
 * are packed once they drop out of the most recently used `inUseMax`: a request for a
 * busy session costs a map lookup, one for an idle session an unpack (tens of
 * microseconds), and 100,000 idle sessions cost their packed size rather than a few
 * kilobytes of objects each. Packing waits until then, so writing a record (a sign-in)
 * never pays for it.
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries: LRUCache<string, Entry>;
  /** Ids of the records with a packing that are kept unpacked, most recent first. */
  readonly #inUse: LRUCache<string, true>;
  /** Subject → the ids of its records: one id as a string, more as a set (most subjects have one). */
  readonly #bySubject = new Map<string, string | Set<string>>();
  readonly #packings: Array<[prefix: string, packing: RecordPacking]> = [];

  constructor(options: { max?: number; inUseMax?: number } = {}) {
    this.#entries = new LRUCache<string, Entry>({
      max: options.max ?? 100_000,
      dispose: (entry, id) => {
        this.#inUse.delete(id);
        this.#unindex(id, entry.subject);
      },
    });
    this.#inUse = new LRUCache<string, true>({
      max: options.inUseMax ?? DEFAULT_IN_USE_MAX,
      // Packed from the record as it is now: callers may have changed it in place (a
      // session's last-seen time).
      dispose: (_, id, reason) => {
        if (reason !== 'evict') return;
        const entry = this.#entries.peek(id);
        if (entry?.packing && !entry.packed) {
          entry.value = entry.packing.pack(entry.value);
          entry.packed = true;
        }
      },
    });
  }

  packWith(prefix: string, packing: RecordPacking): void {
    const known = this.#packings.find(([other]) => other === prefix);
    if (known) known[1] = packing;
    else this.#packings.push([prefix, packing]);
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
    if (!entry.packing) return entry.value as T;
    if (entry.packed) {
      entry.value = entry.packing.unpack(entry.value as string);
      entry.packed = false;
      this.#inUse.set(id, true);
    } else {
      this.#inUse.get(id);
    }
    return entry.value as T;
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    this.put(id, record, expiresAt, subject);
  }

  put(id: string, record: unknown, expiresAt: number, subject?: string): void {
    const packing = this.#packingFor(id, record);
    this.#entries.set(id, { value: record, packed: false, packing, expiresAt, subject });
    if (packing) this.#inUse.set(id, true);
    if (subject !== undefined) this.#index(id, subject);
  }

  async replace(id: string, record: unknown, expiresAt: number, subject?: string): Promise<boolean> {
    // Only whether it is live: unpacking a record about to be overwritten would be wasted.
    const entry = this.#entries.peek(id);
    if (!entry || entry.expiresAt <= Date.now() / 1000) return false;
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
    const indexed = this.#bySubject.get(subject);
    const ids = indexed === undefined ? [] : typeof indexed === 'string' ? [indexed] : [...indexed];
    for (const id of ids) this.#entries.delete(id);
    return ids.length;
  }

  get size(): number {
    return this.#entries.size;
  }

  #packingFor(id: string, record: unknown): RecordPacking | undefined {
    if (typeof record !== 'object' || record === null) return undefined;
    for (const [prefix, packing] of this.#packings) if (id.startsWith(prefix)) return packing;
    return undefined;
  }

  #index(id: string, subject: string): void {
    const indexed = this.#bySubject.get(subject);
    if (indexed === undefined || indexed === id) this.#bySubject.set(subject, id);
    else if (typeof indexed === 'string') this.#bySubject.set(subject, new Set([indexed, id]));
    else indexed.add(id);
  }

  #unindex(id: string, subject: string | undefined): void {
    if (subject === undefined) return;
    const indexed = this.#bySubject.get(subject);
    if (indexed === id) this.#bySubject.delete(subject);
    else if (typeof indexed === 'object') {
      indexed.delete(id);
      if (indexed.size === 1) this.#bySubject.set(subject, indexed.values().next().value!);
    }
  }
}
