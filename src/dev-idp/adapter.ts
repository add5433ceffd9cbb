import type { Adapter, AdapterPayload } from 'oidc-provider';

/**
 * In-memory storage for oidc-provider models (sessions, interactions, codes, grants, refresh
 * tokens). oidc-provider's own memory adapter keeps one process-wide LRU of 1000 entries
 * shared by every provider instance, so parallel stand-ins in one test process would evict
 * each other's sessions; this one belongs to one authorization server of one stand-in and
 * survives the provider being rebuilt on key rotation.
 */

interface Entry {
  payload: AdapterPayload;
  /** epoch milliseconds; undefined = no expiry */
  expiresAt: number | undefined;
}

/** Models whose records are indexed by grant, so revoking a grant finds them. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

export class ModelStore {
  readonly #entries = new Map<string, Entry>();
  readonly #grantIndex = new Map<string, Set<string>>();
  readonly #sessionUidIndex = new Map<string, string>();
  readonly #userCodeIndex = new Map<string, string>();

  adapterFor = (model: string): Adapter => new ModelAdapter(this, model);

  get(key: string): AdapterPayload | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model: string, key: string, payload: AdapterPayload, expiresIn: number): void {
    this.#entries.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
    if (GRANTABLE.has(model) && payload.grantId) {
      let keys = this.#grantIndex.get(payload.grantId);
      if (!keys) this.#grantIndex.set(payload.grantId, (keys = new Set()));
      keys.add(key);
    }
    if (model === 'Session' && payload.uid) this.#sessionUidIndex.set(payload.uid, key);
    if (payload.userCode) this.#userCodeIndex.set(payload.userCode, key);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  byGrant(grantId: string): string[] {
    const keys = this.#grantIndex.get(grantId);
    this.#grantIndex.delete(grantId);
    return keys ? [...keys] : [];
  }

  sessionKeyByUid(uid: string): string | undefined {
    return this.#sessionUidIndex.get(uid);
  }

  keyByUserCode(userCode: string): string | undefined {
    return this.#userCodeIndex.get(userCode);
  }

  /** Drops expired entries and dangling index entries; called periodically. */
  sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== undefined && entry.expiresAt <= now) this.#entries.delete(key);
    }
    for (const [grantId, keys] of this.#grantIndex) {
      for (const key of keys) if (!this.#entries.has(key)) keys.delete(key);
      if (keys.size === 0) this.#grantIndex.delete(grantId);
    }
    for (const index of [this.#sessionUidIndex, this.#userCodeIndex]) {
      for (const [id, key] of index) if (!this.#entries.has(key)) index.delete(id);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** Copies in and out, as a database would, so nobody mutates a stored record by accident. */
function copy(payload: AdapterPayload | undefined): AdapterPayload | undefined {
  return payload === undefined ? undefined : structuredClone(payload);
}

class ModelAdapter implements Adapter {
  readonly #store: ModelStore;
  readonly #model: string;

  constructor(store: ModelStore, model: string) {
    this.#store = store;
    this.#model = model;
  }

  #key(id: string): string {
    return `${this.#model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    this.#store.set(this.#model, this.#key(id), structuredClone(payload), expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return copy(this.#store.get(this.#key(id)));
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const key = this.#store.sessionKeyByUid(uid);
    return key ? copy(this.#store.get(key)) : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const key = this.#store.keyByUserCode(userCode);
    return key ? copy(this.#store.get(key)) : undefined;
  }

  async consume(id: string): Promise<void> {
    const payload = this.#store.get(this.#key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id: string): Promise<void> {
    this.#store.delete(this.#key(id));
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    for (const key of this.#store.byGrant(grantId)) this.#store.delete(key);
  }
}
