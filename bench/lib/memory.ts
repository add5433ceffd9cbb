import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { Agent, request } from 'undici';
import { KeyRing } from '../../src/crypto/keyring.js';
import { openIdConnectConfigSchema } from '../../src/gateway/plugins/openid-connect/schema.js';
import { accessTokenClaims, sessionExpiry, type OidcSession } from '../../src/gateway/plugins/openid-connect/session-record.js';
import { newId } from '../../src/oidc/authorization-request.js';
import { DatabaseSessionStore } from '../../src/sessions/sqlite-store.js';
import { TieredSessionStore } from '../../src/sessions/tiered-store.js';
import { openDatabase } from '../../src/store/database.js';
import { warmUp } from './load.js';
import { assertRunning, processTreeRss, treePids } from './processes.js';
import { BENCH_CLIENT, ROUTES, type BenchStack } from './stack.js';

/** The openid-connect plugin's key prefix in the session store (src/gateway/plugins/openid-connect/session.ts). */
const SESSION_PREFIX = 'sess:';
const MB = 1024 * 1024;

export interface MemoryResult {
  sessions: number;
  /** The real session record every copy is made from, as JSON (tokens, claims). */
  recordJsonBytes: number;
  gatewayProcesses: number;
  /** Gateway processes (workers) that exited between "before" and "after": the figures are then meaningless. */
  processExits: number;
  rssBeforeBytes: number;
  /** Right after the last session was loaded, and (`rssAfterBytes`) after settling: the difference is garbage not yet collected. */
  rssRightAfterLoadBytes: number;
  rssAfterBytes: number;
  /** Each gateway process's RSS before and after (the primary first). */
  processes: Array<{ pid: number; rssBeforeBytes: number; rssAfterBytes: number }>;
  settleSeconds: number;
  /** RSS every 5 s while settling: the heap gives memory back after a burst only slowly. */
  rssWhileSettlingBytes: number[];
  bytesPerSession: number;
  /**
   * The JavaScript heap's share of `bytesPerSession` (the workers' `heap_used` from
   * `GET /status`, after less before); the rest is memory the heap keeps from the
   * operating system, native memory and allocator slack.
   */
  heapBytesPerSession: number | null;
  /** Sessions the workers held in memory afterwards (`GET /status`). */
  sessionsInWorkers: number | null;
  /** Every session was loaded into the gateway by a request through the openid-connect plugin that answered 200. */
  loadedOk: number;
  loadFailures: number;
  /** A random sample requested again afterwards: still live. */
  sample: { requested: number; ok: number };
  createSeconds: number;
  loadSeconds: number;
  /**
   * What 100,000 sessions cost (RSS after less RSS before, the "100,000 live
   * sessions cost under 200 MB"), and the whole RSS with them: measured when `sessions`
   * is 100,000, else projected from the per-session cost.
   */
  costOf100kBytes: number;
  rssAt100kBytes: number;
  projected: boolean;
}

/**
 * Scenario 8: resident memory of the gateway with N live sessions.
 *
 * N real sign-ins would measure the stand-in, not the gateway, so the sessions are made
 * the way the callback makes them, with the same code: one real sign-in gives a real
 * session record (tokens, claims), and N copies of it, each with its own id, subject
 * and token bytes, are written through the same TieredSessionStore over the gateway's
 * database, with cookies sealed by the same KeyRing and keys. The gateway is then
 * started afresh, warmed up, measured, and every session is requested once through the
 * openid-connect route (which loads it into the gateway's memory, where the callback
 * would have put it) before it is measured again. RSS is that of the whole process tree
 * (primary and workers).
 */
export async function runMemory(
  stack: BenchStack,
  templateCookie: string,
  options: { sessions: number; warmupSeconds: number; settleSeconds: number },
  log: (line: string) => void,
): Promise<MemoryResult> {
  const count = options.sessions;
  const keyRing = KeyRing.fromSecrets([stack.keys]);
  const handle = /(?:^|;\s*)session=([^;]+)/.exec(templateCookie)?.[1];
  const sealed = handle ? await keyRing.unseal(handle) : null;
  if (!sealed || typeof sealed.sid !== 'string') throw new Error('the session cookie could not be opened with the bench keys');

  // The gateway is stopped while the sessions are written, so its "before" is a fresh process.
  await stack.stopGateway();
  const db = await openDatabase(stack.databaseUrl);
  const store = new TieredSessionStore(new DatabaseSessionStore(db, keyRing), { memoryMax: 1 });
  const template = await store.get<OidcSession>(SESSION_PREFIX + sealed.sid);
  if (!template) throw new Error('the signed-in session was not found in the gateway database');
  const config = openIdConnectConfigSchema.parse({ issuer: stack.idp.issuer, client_id: BENCH_CLIENT.id, client_secret: BENCH_CLIENT.secret });

  log(`  creating ${count.toLocaleString('en')} sessions through the session store …`);
  const createStarted = performance.now();
  const cookies: string[] = new Array(count);
  const BATCH = 256;
  for (let from = 0; from < count; from += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, count - from) }, async (_, offset) => {
        const index = from + offset;
        const session = copySession(template, index);
        const sid = newId();
        // As the callback does: store the record until it would expire, seal the id into the cookie.
        await store.set(SESSION_PREFIX + sid, session, sessionExpiry(session, config), `${session.issuer}#${session.sub}`);
        const cookie = await keyRing.seal({ sid }, Math.ceil(session.created_at + config.session_absolute_timeout));
        cookies[index] = `session=${cookie}`;
      }),
    );
  }
  const createSeconds = (performance.now() - createStarted) / 1000;
  await db.destroy();

  await stack.restartGateway();
  const { proxy } = stack.gateway;
  const url = `${proxy}${ROUTES.session}`;
  // Warm the fresh process up (JIT, connection pools) with the real session before the baseline.
  await warmUp({ url, headers: { cookie: templateCookie } }, 8, options.warmupSeconds);
  await sleep(1000);
  assertRunning(stack.gateway.service, 'the memory scenario’s warm-up');
  const before = processTreeRss(stack.gateway.service.pid);
  const heapBefore = await workerMemory(stack);

  log(`  loading every session through ${ROUTES.session} …`);
  const agent = new Agent({ connections: 32, keepAliveTimeout: 60_000 });
  const loadStarted = performance.now();
  let next = 0;
  let loadedOk = 0;
  let loadFailures = 0;
  let firstFailure: string | undefined;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const index = next++;
        const status = await statusOf(agent, url, cookies[index]!);
        if (status === 200) loadedOk += 1;
        else {
          loadFailures += 1;
          firstFailure ??= `session ${index} answered ${status}`;
        }
      }
    }),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;
  assertRunning(stack.gateway.service, 'the memory scenario');
  const rightAfter = processTreeRss(stack.gateway.service.pid);
  const running = treePids(stack.gateway.service.pid);
  const processExits = before.processes.filter((entry) => !running.has(entry.pid)).length;
  // The burst of loading leaves the workers' heaps grown with garbage, which V8 gives
  // back to the system only once it sees the process quiet for a while (its memory
  // reducer; the gateway cannot be asked to collect). So the sessions stay in use the way
  // a quiet hour uses them, a few requests a second at random, and RSS is read when
  // that has gone on for `settleSeconds`: the steady state, not the burst.
  const settling: number[] = [];
  for (let waited = 0; waited < options.settleSeconds; waited += 5) {
    const until = performance.now() + Math.min(5, options.settleSeconds - waited) * 1000;
    while (performance.now() < until) {
      await statusOf(agent, url, cookies[Math.floor(Math.random() * count)]!);
      await sleep(200);
    }
    settling.push(processTreeRss(stack.gateway.service.pid).totalBytes);
  }
  const after = processTreeRss(stack.gateway.service.pid);
  const heapAfter = await workerMemory(stack);

  const sampleSize = Math.min(1000, count);
  let sampleOk = 0;
  for (let i = 0; i < sampleSize; i++) {
    if ((await statusOf(agent, url, cookies[Math.floor(Math.random() * count)]!)) === 200) sampleOk += 1;
  }
  await agent.close();
  if (loadFailures > 0) log(`  ${loadFailures} session requests failed, first: ${firstFailure}`);

  const bytesPerSession = (after.totalBytes - before.totalBytes) / count;
  const projected = count !== 100_000;
  return {
    sessions: count,
    recordJsonBytes: Buffer.byteLength(JSON.stringify(template)),
    gatewayProcesses: after.processes.length,
    processExits,
    rssBeforeBytes: before.totalBytes,
    rssRightAfterLoadBytes: rightAfter.totalBytes,
    rssAfterBytes: after.totalBytes,
    processes: after.processes.map((entry) => ({
      pid: entry.pid,
      rssBeforeBytes: before.processes.find((earlier) => earlier.pid === entry.pid)?.rssBytes ?? 0,
      rssAfterBytes: entry.rssBytes,
    })),
    settleSeconds: options.settleSeconds,
    rssWhileSettlingBytes: settling,
    bytesPerSession,
    heapBytesPerSession: heapBefore && heapAfter ? (heapAfter.heapUsed - heapBefore.heapUsed) / count : null,
    sessionsInWorkers: heapAfter?.sessions ?? null,
    loadedOk,
    loadFailures,
    sample: { requested: sampleSize, ok: sampleOk },
    createSeconds,
    loadSeconds,
    costOf100kBytes: bytesPerSession * 100_000,
    rssAt100kBytes: projected ? before.totalBytes + bytesPerSession * 100_000 : after.totalBytes,
    projected,
  };
}

/** The workers' heap and sessions in memory, summed, from `GET /status`; null for a single process (no `workers`). */
async function workerMemory(stack: BenchStack): Promise<{ heapUsed: number; sessions: number } | null> {
  const status = (await stack.adminCall('GET', '/status')) as { workers?: Array<{ memory: { heap_used_bytes: number; sessions: number } | null }> };
  if (!status.workers) return null;
  let heapUsed = 0;
  let sessions = 0;
  for (const worker of status.workers) {
    heapUsed += worker.memory?.heap_used_bytes ?? 0;
    sessions += worker.memory?.sessions ?? 0;
  }
  return { heapUsed, sessions };
}

async function statusOf(agent: Agent, url: string, cookie: string): Promise<number | string> {
  try {
    const response = await request(url, { dispatcher: agent, headers: { cookie } });
    await response.body.dump();
    return response.statusCode;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * A copy of a real session for another person, as a real sign-in would give: tokens
 * with the template's header, a payload naming this person (own subject, email, token
 * ids, nonce) and other signature bytes, and the claims those tokens hold. Each copy's
 * strings are its own in memory, as they would be after real sign-ins.
 */
export function copySession(template: OidcSession, index: number): OidcSession {
  const now = Date.now() / 1000;
  const email = `bench-user-${String(index).padStart(6, '0')}@example.com`;
  const uid = `00ubench${String(index).padStart(12, '0')}`;
  const session = structuredClone(template);
  session.sub = uid;
  session.created_at = session.last_seen = session.persisted_seen = session.rolled_at = now;
  const { tokens } = session;
  tokens.access_token = reissue(tokens.access_token, { sub: email, uid, jti: `AT.${randomText(32)}` });
  session.claims = accessTokenClaims(tokens.access_token, tokens.scope);
  if (tokens.id_token) {
    tokens.id_token = reissue(tokens.id_token, {
      sub: uid,
      email,
      preferred_username: email,
      login_email: email,
      jti: `ID.${randomText(32)}`,
      nonce: randomText(32),
      at_hash: randomText(16),
      sid: randomText(24),
    });
    session.id_claims = decodeJwt(tokens.id_token);
  }
  if (tokens.refresh_token) tokens.refresh_token = randomText(tokens.refresh_token.length);
  return session;
}

/** The token with these claims changed in its payload and a signature of the same length with other bytes. */
function reissue(token: string, changes: Record<string, unknown>): string {
  const [header, payload, signature] = token.split('.');
  if (header === undefined || payload === undefined || signature === undefined) return randomText(token.length);
  const claims = { ...(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>) };
  for (const [name, value] of Object.entries(changes)) if (name in claims) claims[name] = value;
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${randomText(signature.length)}`;
}

function randomText(length: number): string {
  return randomBytes(Math.ceil((length * 3) / 4) + 1)
    .toString('base64url')
    .slice(0, length);
}

export function megabytes(bytes: number): number {
  return bytes / MB;
}
