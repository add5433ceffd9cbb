import type { Settings } from '../config/settings.js';
import type { SessionNotice } from '../sessions/events.js';

/**
 * What the primary and its workers say to each other over node:cluster's IPC channel.
 * Every message is tagged, so anything else on the channel is ignored. A message with
 * a `seq` wants an answer with the same `seq` (`done`, or `status` for a status call).
 */

export const TAG = 'gatehouse-cluster';

export type PrimaryMessage =
  /** First message to a new worker: the settings the primary validated, keys resolved. */
  | { tag: typeof TAG; type: 'start'; settings: Settings; slot: number }
  /** The settings were reloaded (SIGHUP): apply the reloadable ones and re-open the log file, then answer. */
  | { tag: typeof TAG; type: 'reconfigure'; settings: Settings; seq: number }
  /** The configuration changed (an Admin API write): read it again, then answer. */
  | { tag: typeof TAG; type: 'reload'; seq: number }
  /** Another process changed or ended these sessions: drop the copies in memory (answer when `seq`). */
  | { tag: typeof TAG; type: 'sessions'; notice: SessionNotice; seq?: number }
  | { tag: typeof TAG; type: 'status'; seq: number }
  /** Finish the requests in flight, close and exit. */
  | { tag: typeof TAG; type: 'stop' }
  /** The answer to a worker's call. */
  | { tag: typeof TAG; type: 'done'; seq: number };

export type WorkerMessage =
  /**
   * The worker listens for messages now. A child process drops messages that arrive
   * before its module has attached a listener (loading takes a while), so the primary
   * sends nothing before this.
   */
  | { tag: typeof TAG; type: 'hello' }
  | { tag: typeof TAG; type: 'listening'; url: string }
  /** The worker could not start (a port in use, an unreadable database): not worth restarting. */
  | { tag: typeof TAG; type: 'failed'; message: string }
  /** This worker changed or ended sessions: tell every other process (answer when `seq`). */
  | { tag: typeof TAG; type: 'sessions'; notice: SessionNotice; seq?: number }
  | { tag: typeof TAG; type: 'status'; seq: number; requests: number; connections: number; started_at: number; memory: WorkerMemory }
  | { tag: typeof TAG; type: 'done'; seq: number };

/** A worker's memory, for `GET /status` (as Kong's lists each worker's Lua VM): what sessions cost shows here. */
export interface WorkerMemory {
  rss_bytes: number;
  heap_used_bytes: number;
  /** Buffers and other memory outside the JavaScript heap. */
  external_bytes: number;
  /** Sessions and pending sign-ins this worker holds in memory. */
  sessions: number;
}

/** A message as written by its sender, before the tag is added. */
export type Untagged<T> = T extends unknown ? Omit<T, 'tag'> : never;

export function isMessage<T extends { tag: typeof TAG }>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && (value as { tag?: unknown }).tag === TAG;
}

/**
 * Calls that wait for an answer over a channel that may never give one (a worker that
 * hangs or dies): each resolves with the answer, or with undefined after its timeout or
 * when the channel closes (`settleAll`).
 */
export class PendingCalls<Answer> {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (answer: Answer | undefined) => void; timer: NodeJS.Timeout }>();

  call(send: (seq: number) => void, timeoutMs: number): Promise<Answer | undefined> {
    const seq = this.#next++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(seq, undefined), timeoutMs);
      timer.unref();
      this.#pending.set(seq, { resolve, timer });
      try {
        send(seq);
      } catch {
        this.settle(seq, undefined);
      }
    });
  }

  settle(seq: number, answer: Answer | undefined): void {
    const pending = this.#pending.get(seq);
    if (!pending) return;
    this.#pending.delete(seq);
    clearTimeout(pending.timer);
    pending.resolve(answer);
  }

  settleAll(): void {
    for (const seq of [...this.#pending.keys()]) this.settle(seq, undefined);
  }
}
