import cluster, { type Worker } from 'node:cluster';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveKeys } from '../config/keys.js';
import type { Settings } from '../config/settings.js';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import { startGatehouse, type Gatehouse } from '../runtime.js';
import type { SessionEvents, SessionNotice } from '../sessions/events.js';
import { PendingCalls, TAG, isMessage, type Untagged, type PrimaryMessage, type WorkerMessage, type WorkerMemory } from './protocol.js';
import { CLUSTER_WORKER_START } from './error-codes.js';

/**
 * One machine, every core: the primary and its workers.
 *
 * The proxy is what scales with cores, so each worker runs the proxy listener; node:
 * cluster shares the port (the primary accepts and hands connections out round-robin,
 * which spreads them evenly where the kernel's own spreading across processes does
 * not). Everything that must happen once runs in the primary: migrations, the Admin
 * API, the console (it calls the proxy's sign-in endpoints in-process, so the primary
 * builds a proxy app it does not listen with), the group sync and the session purge.
 * Settings are validated once, here, and handed to the workers with the keys resolved,
 * so a generated key is created once and every process seals with the same one.
 *
 * Configuration changes: an Admin API write reloads the primary's snapshot, then asks
 * every worker to reload from the database and waits for each to confirm, so when the
 * write is answered every worker serves the new configuration — Kong's "strict"
 * consistency rather than "eventual", bounded by a timeout (a worker that does not
 * answer in time is logged, and the write is answered anyway: it is committed).
 *
 * Session changes: each process keeps sessions in memory in front of the database; a
 * removal (logout, deactivation, back-channel logout, a role change) waits until every
 * other process dropped its copy; a rewrite (refreshed tokens, the idle clock) is
 * announced without waiting (src/sessions/events.ts). Workers talk through the
 * primary, which applies each notice to its own memory and relays it.
 *
 * A worker that dies is replaced after a back-off that grows while workers keep dying
 * (logged each time); the new one reads the configuration and sessions from the
 * database as it starts. A worker that fails to start at first start stops everything:
 * it would fail again (a port in use, an unreadable database).
 */

/** A write is answered after every worker reloaded, or after this long. */
const RELOAD_TIMEOUT_MS = 5000;
/** A sign-out is answered after every process dropped the session, or after this long. */
const NOTICE_TIMEOUT_MS = 2000;
const STATUS_TIMEOUT_MS = 1000;
/** How long workers get to finish the requests in flight at shutdown before they are killed. */
const STOP_TIMEOUT_MS = 10_000;
const RESTART_BASE_MS = 500;
const RESTART_MAX_MS = 30_000;
/** Exits within this window count towards the back-off. */
const CRASH_WINDOW_MS = 60_000;

export interface ClusterOptions {
  settings: Settings;
  log: Logger;
  workers: number;
}

/** A worker as `GET /status` shows it; the figures are null when it did not answer in time. */
export interface WorkerInfo {
  slot: number;
  pid: number;
  /** Epoch seconds. */
  started_at: number | null;
  /** Requests and connections its proxy listener took since it started. */
  requests: number | null;
  connections: number | null;
  memory: WorkerMemory | null;
}

interface Slot {
  index: number;
  worker: Worker | undefined;
  calls: PendingCalls<WorkerMessage>;
  /** It said hello: messages sent to it now are received (see protocol.ts). */
  reachable: boolean;
  /** Its proxy listens. */
  ready: boolean;
  exits: number[];
  restart: NodeJS.Timeout | undefined;
}

/** The entry node:cluster runs in workers: worker.ts beside this file (worker.js once built). */
function workerEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./worker${extname(here)}`, import.meta.url));
}

/** Starts the primary (Admin API, console, background jobs) and `workers` proxy workers; resolves once all listen. */
export async function startCluster(options: ClusterOptions): Promise<Gatehouse & { workers(): Promise<WorkerInfo[]> }> {
  const { log } = options;
  /** What every worker starts with: the reloadable settings change with SIGHUP. */
  let settings: Settings = { ...options.settings, keys: resolveKeys(options.settings, log) };
  const slots: Slot[] = [];
  let stopping = false;
  let proxyUrl = '';
  let proxyPort: number | undefined;
  let firstStart: { resolve: () => void; reject: (error: Error) => void } | undefined;

  /**
   * Workers that receive messages. One that has not said hello yet has no cache to
   * drop, and reads the configuration after any write that was answered without it.
   */
  const live = () =>
    slots.filter((slot): slot is Slot & { worker: Worker } => slot.reachable && slot.worker !== undefined && slot.worker.isConnected());
  const sendTo = (slot: Slot, message: Untagged<PrimaryMessage>) => {
    if (slot.worker?.isConnected()) slot.worker.send({ tag: TAG, ...message });
  };

  /** Tells every worker but `except`; with `wait`, resolves when each confirmed (or timed out). */
  const relay = async (notice: SessionNotice, wait: boolean, except?: Slot): Promise<void> => {
    const targets = live().filter((slot) => slot !== except);
    if (!wait) {
      for (const slot of targets) sendTo(slot, { type: 'sessions', notice });
      return;
    }
    const answers = await Promise.all(
      targets.map((slot) => slot.calls.call((seq) => sendTo(slot, { type: 'sessions', notice, seq }), NOTICE_TIMEOUT_MS)),
    );
    const silent = targets.filter((slot, i) => answers[i] === undefined && slot.worker?.isConnected());
    if (silent.length > 0) {
      log.warn({ workers: silent.map((slot) => slot.worker?.process.pid) }, 'workers did not confirm a session removal in time');
    }
  };

  let applyHere: ((notice: SessionNotice) => void) | undefined;
  const events: SessionEvents = {
    publish: (notice, { wait }) => relay(notice, wait),
    subscribe: (apply) => {
      applyHere = apply;
    },
  };

  const reloadWorkers = async (): Promise<void> => {
    const targets = live();
    const answers = await Promise.all(
      targets.map((slot) => slot.calls.call((seq) => sendTo(slot, { type: 'reload', seq }), RELOAD_TIMEOUT_MS)),
    );
    const silent = targets.filter((slot, i) => answers[i] === undefined && slot.worker?.isConnected());
    if (silent.length > 0) {
      log.warn(
        { workers: silent.map((slot) => slot.worker?.process.pid), timeout_ms: RELOAD_TIMEOUT_MS },
        'workers did not confirm the configuration reload in time; they may serve the previous configuration briefly',
      );
    }
  };

  const workers = async (): Promise<WorkerInfo[]> => {
    const targets = live();
    const answers = await Promise.all(
      targets.map((slot) => slot.calls.call((seq) => sendTo(slot, { type: 'status', seq }), STATUS_TIMEOUT_MS)),
    );
    return targets.map((slot, i) => {
      const answer = answers[i];
      const stats = answer?.type === 'status' ? answer : undefined;
      return {
        slot: slot.index,
        pid: slot.worker.process.pid ?? 0,
        started_at: stats?.started_at ?? null,
        requests: stats?.requests ?? null,
        connections: stats?.connections ?? null,
        memory: stats?.memory ?? null,
      };
    });
  };

  const gatehouse = await startGatehouse({
    settings,
    log,
    role: 'control',
    sessionEvents: events,
    afterChange: reloadWorkers,
    proxyPort: () => proxyPort,
    status: async () => ({ workers: await workers() }),
  });

  const onMessage = (slot: Slot, message: unknown): void => {
    if (!isMessage<WorkerMessage>(message)) return;
    switch (message.type) {
      case 'hello':
        slot.reachable = true;
        sendTo(slot, { type: 'start', settings, slot: slot.index });
        return;
      case 'listening':
        slot.ready = true;
        if (!proxyUrl) {
          proxyUrl = message.url;
          proxyPort = Number(new URL(message.url).port);
        }
        if (firstStart && slots.every((s) => s.ready)) firstStart.resolve();
        return;
      case 'failed':
        log.error({ worker: slot.index, err: message.message }, 'a proxy worker could not start');
        firstStart?.reject(new GatehouseError(CLUSTER_WORKER_START, `a proxy worker could not start: ${message.message}`));
        return;
      case 'sessions':
        applyHere?.(message.notice);
        void relay(message.notice, message.seq !== undefined, slot).then(() => {
          if (message.seq !== undefined) sendTo(slot, { type: 'done', seq: message.seq });
        });
        return;
      case 'status':
      case 'done':
        slot.calls.settle(message.seq, message);
        return;
    }
  };

  const fork = (slot: Slot): void => {
    slot.restart = undefined;
    slot.reachable = false;
    slot.ready = false;
    const worker = cluster.fork();
    slot.worker = worker;
    worker.on('message', (message: unknown) => onMessage(slot, message));
    worker.once('exit', (code, signal) => {
      slot.calls.settleAll();
      if (slot.worker === worker) {
        slot.worker = undefined;
        slot.reachable = false;
        slot.ready = false;
      }
      if (stopping) return;
      if (firstStart) {
        firstStart.reject(new GatehouseError(CLUSTER_WORKER_START, `a proxy worker exited while starting (code ${code}, signal ${signal})`));
        return;
      }
      const now = Date.now();
      slot.exits = [...slot.exits.filter((at) => now - at < CRASH_WINDOW_MS), now];
      const delay = Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (slot.exits.length - 1));
      log.warn({ worker: slot.index, pid: worker.process.pid, code, signal, restart_in_ms: delay }, 'a proxy worker exited; starting another');
      slot.restart = setTimeout(() => fork(slot), delay);
    });
  };

  const stopWorkers = async (): Promise<void> => {
    stopping = true;
    for (const slot of slots) clearTimeout(slot.restart);
    await Promise.all(
      slots.map(async (slot) => {
        const worker = slot.worker;
        if (!worker || worker.isDead()) return;
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        // One still loading its modules would not hear the message; a signal ends it either way.
        if (slot.reachable) sendTo(slot, { type: 'stop' });
        else worker.process.kill('SIGTERM');
        const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }),
    );
  };

  // Workers run worker.ts, not the CLI; node's flags (e.g. `--import tsx`) carry over.
  cluster.setupPrimary({ exec: workerEntry(), args: [] });
  try {
    await new Promise<void>((resolve, reject) => {
      firstStart = { resolve, reject };
      for (let index = 0; index < options.workers; index++) {
        const slot: Slot = { index, worker: undefined, calls: new PendingCalls(), reachable: false, ready: false, exits: [], restart: undefined };
        slots.push(slot);
        fork(slot);
      }
    });
    firstStart = undefined;
  } catch (error) {
    firstStart = undefined;
    await stopWorkers();
    await gatehouse.close();
    throw error;
  }
  log.info(
    { proxy: proxyUrl, admin: gatehouse.adminUrl, console: gatehouse.consoleUrl, workers: options.workers },
    'Gatehouse is listening',
  );

  return {
    ...gatehouse,
    get proxyUrl() {
      return proxyUrl;
    },
    workers,
    async reconfigure(next: Settings) {
      settings = { ...settings, log_level: next.log_level, allow_underscore_headers: next.allow_underscore_headers };
      await gatehouse.reconfigure(settings);
      const targets = live();
      const answers = await Promise.all(
        targets.map((slot) => slot.calls.call((seq) => sendTo(slot, { type: 'reconfigure', settings, seq }), RELOAD_TIMEOUT_MS)),
      );
      const silent = targets.filter((slot, i) => answers[i] === undefined && slot.worker?.isConnected());
      if (silent.length > 0) log.warn({ workers: silent.map((slot) => slot.worker?.process.pid) }, 'workers did not confirm the settings reload in time');
    },
    async close() {
      await stopWorkers();
      await gatehouse.close();
    },
  };
}
