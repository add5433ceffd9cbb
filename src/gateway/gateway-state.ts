import type { GatewayConfiguration } from '../model/gateway.js';
import type { PluginHandler } from './plugin.js';
import { closeHandler } from './plugin-handlers.js';
import { UpstreamPools } from './proxy.js';
import { buildSnapshot, type GatewaySnapshot, type SnapshotOptions } from './snapshot.js';

/**
 * The life of configuration snapshots: the current one, its replacement on reload, and
 * the retirement of replaced ones once the requests that started on them are done
 * (their dropped plugin handlers closed, unused upstream pools shut).
 */

export interface GatewayStateOptions extends Omit<SnapshotOptions, 'upstreams'> {
  /** Shared upstream pools; the state creates (and closes) its own when not given. */
  upstreams?: UpstreamPools;
  /**
   * How long a replaced snapshot stays usable before its dropped handlers are closed and
   * unused upstream pools shut: requests that started on it are still running. 0 retires
   * at once (tests). Default 60 s, Kong's default read timeout.
   */
  retireAfterMs?: number;
}

/**
 * The current snapshot and its replacement on reload. `snapshot` is read once per
 * request; `reload` builds the next one (reusing unchanged plugin handlers) and swaps
 * it in atomically.
 */
export class GatewayState {
  #snapshot: GatewaySnapshot;
  readonly #options: SnapshotOptions;
  readonly #ownsUpstreams: boolean;
  readonly #retireAfterMs: number;
  readonly #retiring = new Map<GatewaySnapshot, NodeJS.Timeout | null>();
  #closed = false;

  constructor(config: GatewayConfiguration, options: GatewayStateOptions) {
    this.#ownsUpstreams = options.upstreams === undefined;
    this.#options = { ...options, upstreams: options.upstreams ?? new UpstreamPools() };
    this.#retireAfterMs = options.retireAfterMs ?? 60_000;
    this.#snapshot = buildSnapshot(config, this.#options);
  }

  get snapshot(): GatewaySnapshot {
    return this.#snapshot;
  }

  get upstreams(): UpstreamPools {
    return this.#options.upstreams;
  }

  /** Builds a snapshot from `config` and makes it current. Never leaves the gateway without one. */
  reload(config: GatewayConfiguration): GatewaySnapshot {
    if (this.#closed) throw new Error('GatewayState is closed');
    const previous = this.#snapshot;
    const next = buildSnapshot(config, this.#options, previous);
    this.#snapshot = next;
    if (this.#retireAfterMs <= 0) {
      this.#retiring.set(previous, null);
      this.#retire(previous);
    } else {
      const timer = setTimeout(() => this.#retire(previous), this.#retireAfterMs).unref();
      this.#retiring.set(previous, timer);
    }
    return next;
  }

  /** Closes handlers and pools that no live snapshot (current or still retiring) uses. */
  #retire(snapshot: GatewaySnapshot): void {
    this.#retiring.delete(snapshot);
    const live = [this.#snapshot, ...this.#retiring.keys()];
    const liveHandlers = new Set<PluginHandler>();
    const liveUpstreams = new Set<string>();
    for (const s of live) {
      for (const record of s.handlers.values()) if (record.handler) liveHandlers.add(record.handler);
      for (const upstream of s.upstreams()) liveUpstreams.add(upstream.key);
    }
    for (const record of snapshot.handlers.values()) {
      if (record.handler && !liveHandlers.has(record.handler)) closeHandler(record, this.#options.log);
    }
    this.#options.upstreams.retainOnly(liveUpstreams);
  }

  /** Closes every handler, and the upstream pools when the state created them. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const closed = new Set<PluginHandler>();
    for (const [snapshot, timer] of this.#retiring) {
      if (timer) clearTimeout(timer);
      for (const record of snapshot.handlers.values()) {
        if (record.handler && !closed.has(record.handler)) {
          closed.add(record.handler);
          closeHandler(record, this.#options.log);
        }
      }
    }
    this.#retiring.clear();
    for (const record of this.#snapshot.handlers.values()) {
      if (record.handler && !closed.has(record.handler)) {
        closed.add(record.handler);
        closeHandler(record, this.#options.log);
      }
    }
    if (this.#ownsUpstreams) await this.#options.upstreams.close();
  }
}
