/**
 * A proxy worker: the entry node:cluster runs in each worker process (see primary.ts).
 * It waits for the settings the primary validated, serves the proxy listener (the port
 * is shared through the primary), and answers the primary's notices: reload the
 * configuration, drop sessions another process changed or ended.
 */
import { createLogger, type Logger } from '../log.js';
import { startGatehouse, type Gatehouse } from '../runtime.js';
import type { SessionEvents, SessionNotice } from '../sessions/events.js';
import { PendingCalls, TAG, isMessage, type Untagged, type PrimaryMessage, type WorkerMessage } from './protocol.js';

/** Longer than the primary's own wait for the other workers, so its answer normally comes first. */
const NOTICE_TIMEOUT_MS = 5000;

function send(message: Untagged<WorkerMessage>): void {
  process.send?.({ tag: TAG, ...message });
}

/** Session notices through the primary, which relays them to every other worker. */
class WorkerSessionEvents implements SessionEvents {
  readonly calls = new PendingCalls<true>();
  #apply: ((notice: SessionNotice) => void) | undefined;

  async publish(notice: SessionNotice, options: { wait: boolean }): Promise<void> {
    if (!options.wait) return send({ type: 'sessions', notice });
    await this.calls.call((seq) => send({ type: 'sessions', notice, seq }), NOTICE_TIMEOUT_MS);
  }

  subscribe(apply: (notice: SessionNotice) => void): void {
    this.#apply = apply;
  }

  /** Before the session store exists nothing is cached, so there is nothing to drop. */
  receive(notice: SessionNotice): void {
    this.#apply?.(notice);
  }
}

const events = new WorkerSessionEvents();
const startedAt = Math.floor(Date.now() / 1000);
let gatehouse: Gatehouse | undefined;
let starting: Promise<Gatehouse> | undefined;
let log: Logger | undefined;
let stopping = false;

async function start(message: Extract<PrimaryMessage, { type: 'start' }>): Promise<Gatehouse> {
  const { settings } = message;
  log = createLogger({ level: settings.log_level, name: 'gatehouse', file: settings.log_file }).child({ worker: message.slot, pid: process.pid });
  try {
    gatehouse = await startGatehouse({ settings, log, role: 'proxy', sessionEvents: events });
  } catch (error) {
    send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  log.info({ proxy: gatehouse.proxyUrl }, 'proxy worker listening');
  send({ type: 'listening', url: gatehouse.proxyUrl });
  return gatehouse;
}

async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  try {
    await (gatehouse ?? (await starting?.catch(() => undefined)))?.close();
  } finally {
    // A log file is written asynchronously: what is buffered goes out before the exit.
    if (log) log.flush(() => process.exit(code));
    else process.exit(code);
  }
}

process.on('message', (message: unknown) => {
  if (!isMessage<PrimaryMessage>(message)) return;
  switch (message.type) {
    case 'start':
      starting ??= start(message);
      return;
    case 'reload':
      // A reload asked for while starting runs once started: the start may have read the store before the write.
      void (starting ?? Promise.reject(new Error('not started')))
        .then((node) => node.reload())
        .catch((error: unknown) => log?.error({ err: error instanceof Error ? error.message : String(error) }, 'reloading the configuration failed'))
        .finally(() => send({ type: 'done', seq: message.seq }));
      return;
    case 'reconfigure':
      void (starting ?? Promise.reject(new Error('not started')))
        .then((node) => node.reconfigure(message.settings))
        .catch((error: unknown) => log?.error({ err: error instanceof Error ? error.message : String(error) }, 'applying the reloaded settings failed'))
        .finally(() => send({ type: 'done', seq: message.seq }));
      return;
    case 'sessions':
      events.receive(message.notice);
      if (message.seq !== undefined) send({ type: 'done', seq: message.seq });
      return;
    case 'status': {
      const traffic = gatehouse?.traffic() ?? { requests: 0, connections: 0 };
      const usage = process.memoryUsage();
      const memory = { rss_bytes: usage.rss, heap_used_bytes: usage.heapUsed, external_bytes: usage.external, sessions: gatehouse?.sessions.recordsInMemory ?? 0 };
      send({ type: 'status', seq: message.seq, ...traffic, started_at: startedAt, memory });
      return;
    }
    case 'done':
      events.calls.settle(message.seq, true);
      return;
    case 'stop':
      void stop(0);
      return;
  }
});

send({ type: 'hello' });

// The primary leads the shutdown: Ctrl+C reaches every process of the terminal's group,
// and a worker that left on its own would be restarted. Without the primary (it died,
// the channel closed) a worker has no reason to stay.
process.on('SIGINT', () => undefined);
// SIGHUP reloads the settings: the primary reads them and tells every worker.
process.on('SIGHUP', () => undefined);
process.on('SIGTERM', () => void stop(0));
process.on('disconnect', () => void stop(0));
