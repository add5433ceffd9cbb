import { LRUCache } from 'lru-cache';

/**
 * A compact form of one kind of record, for the memory tier to keep it in while it is
 * idle. `unpack(pack(record))` must give back a record that behaves the same; it may lose
 * keys whose value is undefined, as JSON does. A backend behind the memory tier holds
 * every record whole, so the packed form may leave out what only rare paths need,
 * provided the unpacked record says so and those paths read the record again from the
 * backend (SessionStore's `get` with `fresh`).
 */
export interface RecordPacking<T = unknown> {
  pack(record: T): string;
  unpack(packed: string): T;
}

interface Entry {
  /** The record itself, or its packed form once it is no longer in use (`packed`). */
  value: unknown;
  packed: boolean;
  packing: RecordPacking | undefined;
  expiresAt: number;
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
 * This process's copies of session records, bounded by count: the fast layer of the
 * SessionStore in front of its backend, which holds every record whole and answers
 * removals by subject (so no subject index is kept here: its strings and entries would
 * cost every session about 130 bytes). Synchronous, so the proxy path does not pay for a
 * promise on a hit.
 *
 * Most live sessions are idle at any moment, so records with a packing (by id prefix,
 * given at construction) are kept unpacked only while in use: a request for a busy
 * session costs a map lookup, one for an idle session an unpack (tens of microseconds),
 * and 100,000 idle sessions cost their packed size rather than a few kilobytes of
 * objects each.
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
export class MemoryTier {
  readonly #entries: LRUCache<string, Entry>;
  /** Ids of the records with a packing kept unpacked: used again (`#inUse`) or not yet (`#probation`), most recent first. */
  readonly #inUse: LRUCache<string, true>;
  readonly #probation: LRUCache<string, true>;
  readonly #packings: Array<[prefix: string, packing: RecordPacking]>;
  /** Ids that left the unpacked segments, to be packed on the next turn of the event loop. */
  readonly #leaving = new Set<string>();

  constructor(
    options: { max?: number | undefined; inUseMax?: number | undefined; packings?: Readonly<Record<string, RecordPacking>> | undefined } = {},
  ) {
    this.#packings = Object.entries(options.packings ?? {});
    this.#entries = new LRUCache<string, Entry>({
      max: options.max ?? 100_000,
      dispose: (_, id) => {
        this.#inUse.delete(id);
        this.#probation.delete(id);
      },
    });
    const inUseMax = options.inUseMax ?? DEFAULT_IN_USE_MAX;
    const packOnEviction = (_: true, id: string, reason: LRUCache.DisposeReason) => {
      if (reason === 'evict') this.#packLater(id);
    };
    this.#inUse = new LRUCache<string, true>({ max: inUseMax, dispose: packOnEviction });
    this.#probation = new LRUCache<string, true>({ max: Math.min(PROBATION_MAX, inUseMax), dispose: packOnEviction });
  }

  /** The record, unpacked, or undefined when this process holds no live copy. */
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

  /** Writes a record: in use if it was, else on probation. */
  put(id: string, record: unknown, expiresAt: number): void {
    const packing = this.#packingFor(id, record);
    const entry = this.#entries.peek(id);
    if (entry) {
      // Rewritten in place (the idle clock, refreshed tokens): a new entry would run the
      // old one's disposal and churn the maps for nothing.
      Object.assign(entry, { value: record, packed: false, packing, expiresAt });
      this.#entries.set(id, entry);
    } else {
      this.#entries.set(id, { value: record, packed: false, packing, expiresAt });
    }
    if (!packing) {
      this.#inUse.delete(id);
      this.#probation.delete(id);
    } else if (!this.#inUse.has(id)) {
      this.#probation.set(id, true);
    }
  }

  drop(id: string): void {
    this.#entries.delete(id);
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
      entry.value = entry.packing.pack(entry.value);
      entry.packed = true;
    }
  }

  #packingFor(id: string, record: unknown): RecordPacking | undefined {
    if (typeof record !== 'object' || record === null) return undefined;
    for (const [prefix, packing] of this.#packings) if (id.startsWith(prefix)) return packing;
    return undefined;
  }
}
