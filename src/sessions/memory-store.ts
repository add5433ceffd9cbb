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

/** Records used more than once kept unpacked, most recently used first (about 4 KB each for a signed-in browser). */
const DEFAULT_IN_USE_MAX = 2_000;
/**
 * Records written or loaded and not used since, kept unpacked until this many newer ones
 * came: long enough for a sign-in's redirect or the rest of the request that loaded it,
 * short enough (milliseconds under load) that what it leaves dies young.
 */
const PROBATION_MAX = 16;

/**
 * Sessions in this process only, bounded by count. Used alone in tests and
 * single-process set-ups, and as the fast layer in front of a persistent store.
 *
 * Most live sessions are idle at any moment, so records with a packing (`packWith`)
 * are kept unpacked only while in use: a request for a busy session costs a map
 * lookup, one for an idle session an unpack (tens of microseconds), and 100,000 idle
 * sessions cost their packed size rather than a few kilobytes of objects each.
 *
 * "In use" has two segments, as in a segmented LRU (2Q). A record just written or
 * loaded is on probation among the last `PROBATION_MAX`; used again, it joins the
 * `inUseMax` most recently used. Most are used again at once (the redirect after a
 * sign-in, a page's next request); the others (every session used once after a restart)
 * are packed while their objects are still young, so they die in V8's young generation
 * instead of leaving the old one full of holes, and cannot push busy sessions out.
 * A record is packed once, however often it was rewritten on probation.
 * Packing happens just after leaving a segment (on the next turn of the event loop),
 * from the record as it is then (callers change records in place: a session's last-seen
 * time), so a write never pays for it.
 */
export class MemorySessionStore implements SessionStore {
  readonly #entries: LRUCache<string, Entry>;
  /** Ids of the records with a packing kept unpacked: used again (`#inUse`) or not yet (`#probation`), most recent first. */
  readonly #inUse: LRUCache<string, true>;
  readonly #probation: LRUCache<string, true>;
  /** Subject → the ids of its records: one id as a string, more as a set (most subjects have one). */
  readonly #bySubject = new Map<string, string | Set<string>>();
  readonly #packings: Array<[prefix: string, packing: RecordPacking]> = [];
  /** Ids that left the unpacked segments, to be packed on the next turn of the event loop. */
  readonly #leaving = new Set<string>();

  /**
   * A persistent store behind this one holds every record whole and removes by subject
   * itself (see TieredSessionStore): packing may leave out what the store has (see
   * RecordPacking), and no subject index is kept (its strings and entries would cost
   * every session about 130 bytes).
   */
  readonly #backed: boolean;

  constructor(options: { max?: number | undefined; inUseMax?: number | undefined; backed?: boolean } = {}) {
    this.#backed = options.backed ?? false;
    this.#entries = new LRUCache<string, Entry>({
      max: options.max ?? 100_000,
      dispose: (entry, id) => {
        this.#inUse.delete(id);
        this.#probation.delete(id);
        this.#unindex(id, entry.subject);
      },
    });
    const inUseMax = options.inUseMax ?? DEFAULT_IN_USE_MAX;
    const packOnEviction = (_: true, id: string, reason: LRUCache.DisposeReason) => {
      if (reason === 'evict') this.#packLater(id);
    };
    this.#inUse = new LRUCache<string, true>({ max: inUseMax, dispose: packOnEviction });
    this.#probation = new LRUCache<string, true>({ max: Math.min(PROBATION_MAX, inUseMax), dispose: packOnEviction });
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
    } else if (this.#inUse.get(id) === undefined) {
      // Unpacked and not in use: on probation, and used again now. (A busy session is
      // answered by the lookup in the condition, which also marks it most recent.)
      this.#probation.delete(id);
      this.#inUse.set(id, true);
    }
    return entry.value as T;
  }

  async set(id: string, record: unknown, expiresAt: number, subject?: string): Promise<void> {
    this.put(id, record, expiresAt, subject);
  }

  /** Writes a record: in use if it was, else on probation. */
  put(id: string, record: unknown, expiresAt: number, subject?: string): void {
    if (this.#backed) subject = undefined;
    const packing = this.#packingFor(id, record);
    const entry = this.#entries.peek(id);
    if (entry) {
      // Rewritten in place (the idle clock, refreshed tokens): a new entry would run the
      // old one's disposal and churn the maps and the subject index for nothing. Equal
      // subjects keep the string indexed: callers build a new one for every write.
      if (entry.subject !== subject) {
        this.#unindex(id, entry.subject);
        if (subject !== undefined) this.#index(id, subject);
      } else subject = entry.subject;
      Object.assign(entry, { value: record, packed: false, packing, expiresAt, subject });
      this.#entries.set(id, entry);
    } else {
      this.#entries.set(id, { value: record, packed: false, packing, expiresAt, subject });
      if (subject !== undefined) this.#index(id, subject);
    }
    if (!packing) {
      this.#inUse.delete(id);
      this.#probation.delete(id);
    } else if (!this.#inUse.has(id)) {
      this.#probation.set(id, true);
    }
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
    if (this.#backed) throw new Error('this memory tier keeps no subject index: remove by subject in the store behind it');
    const indexed = this.#bySubject.get(subject);
    const ids = indexed === undefined ? [] : typeof indexed === 'string' ? [indexed] : [...indexed];
    for (const id of ids) this.#entries.delete(id);
    return ids.length;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Records leaving the unpacked segments are packed on the next turn of the event loop,
   * not by the write that pushed them out: a sign-in does not wait for another session's
   * compression (a third of a millisecond when the process was idle), and a record used
   * again in between stays unpacked.
   */
  #packLater(id: string): void {
    if (this.#leaving.size === 0) setImmediate(() => this.#packLeaving());
    this.#leaving.add(id);
  }

  #packLeaving(): void {
    const leaving = [...this.#leaving];
    this.#leaving.clear();
    for (const id of leaving) {
      if (this.#inUse.has(id) || this.#probation.has(id)) continue;
      try {
        this.#pack(id);
      } catch {
        // Packing only saves memory: a record that cannot be packed stays whole, and no
        // write is there to be told (this runs on its own turn of the event loop).
      }
    }
  }

  /** Packs a record, as it is now. */
  #pack(id: string): void {
    const entry = this.#entries.peek(id);
    if (entry?.packing && !entry.packed) {
      entry.value = entry.packing.pack(entry.value, { backed: this.#backed });
      entry.packed = true;
    }
  }

  #packingFor(id: string, record: unknown): RecordPacking | undefined {
    if (typeof record !== 'object' || record === null) return undefined;
    for (const [prefix, packing] of this.#packings) if (id.startsWith(prefix)) return packing;
    return undefined;
  }

  #index(id: string, subject: string): void {
    const indexed = this.#bySubject.get(subject);
    if (indexed === undefined) this.#bySubject.set(subject, id);
    else if (typeof indexed === 'string') {
      if (indexed !== id) this.#bySubject.set(subject, new Set([indexed, id]));
    } else indexed.add(id);
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
