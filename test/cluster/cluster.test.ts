import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { demoSeed, startDevIdp, type DevIdp } from '../../src/dev-idp/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/gateway/echo-upstream.js';
import { CookieJar, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { freePorts } from '../../testkit/free-ports.js';

/**
 * `gatehouse start` with GATEHOUSE_WORKERS=2, as an operator runs it: a primary (Admin
 * API, console) and two proxy workers sharing the proxy port. Every request below goes
 * over a new connection, which the primary hands to the workers in turn, so a check
 * made with many of them covers every worker. Nothing here measures time: the waits
 * are for the tokens to expire, and checks poll until a deadline.
 */

const CLI = ['--import', 'tsx', 'src/cli/main.ts', 'start'];
const ADMIN_TOKEN = 'cluster-test-admin-token-0123456789abcdef';
const KEYS = 'cluster-test-key-0123456789abcdefghijklmnop';
const CLIENT_ID = 'gatehouse-cluster';
const CLIENT_SECRET = 'gatehouse-cluster-secret-0123456789';
const PASSWORD = 'Passw0rd!';
/** Enough new connections that each worker gets several of them. */
const SPREAD = 16;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request over its own connection (no keep-alive), so it may land on any worker. */
function fresh(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: { connection: 'close', ...init.headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

/** `count` requests, each over a new connection, `parallel` at a time. */
async function spread(count: number, send: () => Promise<Answer>, parallel = 4): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += parallel) {
    answers.push(...(await Promise.all(Array.from({ length: Math.min(parallel, count - i) }, send))));
  }
  return answers;
}

function statuses(answers: Answer[]): number[] {
  return answers.map((answer) => answer.status);
}

function waitForOutput(child: ChildProcess, output: { text: string }, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output.text}`)), timeoutMs);
    const check = () => {
      if (pattern.test(output.text)) {
        clearTimeout(timer);
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output.text}`)));
    check();
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(100);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface WorkerStatus {
  slot: number;
  pid: number;
  requests: number | null;
  connections: number | null;
  started_at: number | null;
  memory: { rss_bytes: number; heap_used_bytes: number; external_bytes: number; sessions: number } | null;
}

describe('gatehouse start with workers', () => {
  let dataDir: string;
  let idp: DevIdp;
  let upstream: EchoUpstream;
  let child: ChildProcess;
  const output = { text: '' };
  let proxy: string;
  let admin: string;

  const adminCall = async (method: string, path: string, body?: unknown): Promise<any> => {
    const response = await fetch(`${admin}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const workers = async (): Promise<WorkerStatus[]> =>
    ((await (await fetch(`${admin}/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { workers: WorkerStatus[] }).workers;

  /** The openid-connect sign-in through the gateway; the jar then holds the session cookie. */
  const oidcSignIn = async (path: string) => {
    const jar = new CookieJar();
    const start = await browserFetch(jar, `${proxy}${path}`);
    assert.equal(start.status, 302);
    const { callbackUrl } = await signIn({
      authorizeUrl: start.headers.get('location')!,
      username: 'alice@example.com',
      password: PASSWORD,
      jar,
      isCallback: (url) => url.origin === proxy,
    });
    const authorizationCookie = jar.header(callbackUrl)!;
    const callback = await browserFetch(jar, callbackUrl);
    assert.equal(callback.status, 302, 'the callback signs in');
    return { jar, callbackUrl, authorizationCookie, cookie: () => jar.header(new URL(`${proxy}${path}`))! };
  };

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-cluster-'));
    const [proxyPort, adminPort, consolePort] = await freePorts(3);
    proxy = `http://127.0.0.1:${proxyPort}`;
    admin = `http://127.0.0.1:${adminPort}`;
    idp = await startDevIdp({
      port: 0,
      seed: {
        ...demoSeed,
        clients: [
          {
            client_id: CLIENT_ID,
            client_secret: CLIENT_SECRET,
            redirect_uris: [`${proxy}/api/callback`, `${proxy}/refresh/callback`, `${proxy}/replay/callback`],
            grant_types: ['authorization_code', 'refresh_token'],
          },
        ],
      },
    });
    upstream = await startEchoUpstream({ port: 0 });
    child = spawn(process.execPath, CLI, {
      env: {
        ...process.env,
        GATEHOUSE_WORKERS: '2',
        GATEHOUSE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
        GATEHOUSE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
        GATEHOUSE_CONSOLE_LISTEN: `127.0.0.1:${consolePort}`,
        GATEHOUSE_PUBLIC_URL: proxy,
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DATABASE: `sqlite:${join(dataDir, 'gatehouse.db')}`,
        GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
        GATEHOUSE_KEYS: KEYS,
        GATEHOUSE_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output.text += chunk));
    child.stderr!.on('data', (chunk) => (output.text += chunk));
    await waitForOutput(child, output, /"msg":"Gatehouse is listening"/);
    await adminCall('PUT', '/services/echo', { url: upstream.url });
  });

  after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await Promise.allSettled([idp?.close(), upstream?.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs one proxy worker per GATEHOUSE_WORKERS, and every one of them serves', async () => {
    const before = await workers();
    assert.equal(before.length, 2);
    const pids = before.map((worker) => worker.pid);
    assert.equal(new Set(pids).size, 2);
    assert.ok(!pids.includes(child.pid!), 'the workers are processes of their own');
    for (const pid of pids) assert.match(output.text, new RegExp(`"pid":${pid}[^\\n]*"msg":"proxy worker listening"`));
    assert.deepEqual(await (await fetch(`${admin}/status`)).json(), { reachable: true, ready: true }, 'no process ids for anonymous callers');

    await adminCall('PUT', '/routes/plain', { paths: ['/plain'], service: { name: 'echo' } });
    const answers = await spread(SPREAD, () => fresh(`${proxy}/plain`));
    assert.deepEqual(statuses(answers), Array(SPREAD).fill(200));
    const after = await workers();
    for (const worker of after) {
      const earlier = before.find((w) => w.pid === worker.pid)!;
      assert.ok(worker.connections! > earlier.connections!, `worker ${worker.pid} took connections`);
      assert.ok(worker.requests! > earlier.requests!, `worker ${worker.pid} served requests`);
      assert.ok(worker.memory!.rss_bytes > worker.memory!.heap_used_bytes && worker.memory!.heap_used_bytes > 0, `worker ${worker.pid} reports its memory`);
      assert.equal(typeof worker.memory!.sessions, 'number');
    }
  });

  it('answers an Admin API write once every worker serves the change', async () => {
    for (let round = 0; round < 3; round++) {
      await adminCall('PUT', `/routes/new-${round}`, { paths: [`/new-${round}`], service: { name: 'echo' } });
      assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/new-${round}`))), Array(SPREAD).fill(200), `round ${round}: created`);
      await adminCall('DELETE', `/routes/new-${round}`);
      assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/new-${round}`))), Array(SPREAD).fill(404), `round ${round}: deleted`);
    }
  });

  it('honours a sign-out on every worker, not only the one that served it', async () => {
    await adminCall('PUT', '/routes/api', { paths: ['/api'], service: { name: 'echo' } });
    await adminCall('POST', '/routes/api/plugins', {
      name: 'openid-connect',
      config: {
        issuer: idp.issuer('default'),
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uri: `${proxy}/api/callback`,
        scopes: ['openid', 'email', 'profile'],
        logout_uri_suffix: '/logout',
        logout_methods: ['POST'],
      },
    });
    const session = await oidcSignIn('/api');
    const cookie = session.cookie();
    const asApi = { accept: 'application/json', cookie };
    // Every worker reads the session once and keeps it in memory.
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/api/x`, { headers: asApi }))), Array(SPREAD).fill(200));

    const logout = await fresh(`${proxy}/api/logout`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-origin' } });
    assert.equal(logout.status, 302, 'signed out, on to the provider’s end-session endpoint');
    assert.ok(String(logout.headers.location).startsWith(idp.origin));
    // The same cookie (a copy kept by someone else) no longer works anywhere.
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/api/x`, { headers: asApi }))), Array(SPREAD).fill(401));
  });

  it('honours on every worker an Admin API deactivation, which ends sessions in the primary', async () => {
    const organization = await adminCall('POST', '/organizations', {
      name: 'Globex',
      login_path: 'globex',
      owner: { email: 'owner@globex.example', password: 'owner-password-0123456789' },
    });
    await adminCall('POST', `/organizations/${organization.id}/users`, { email: 'pat@globex.example', password: 'pat-password-0123456789' });
    await adminCall('PUT', '/routes/app', { paths: ['/app'], service: { name: 'echo' } });
    await adminCall('POST', '/routes/app/plugins', { name: 'sso', config: { organization: 'globex' } });
    const signedIn = await fresh(`${proxy}/login/globex/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'pat@globex.example', password: 'pat-password-0123456789' }),
    });
    assert.equal(signedIn.status, 200);
    const cookie = ([signedIn.headers['set-cookie']].flat() as string[]).find((value) => value.startsWith('gatehouse_session='))!.split(';')[0]!;
    const asApi = { accept: 'application/json', cookie };
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/app`, { headers: asApi }))), Array(SPREAD).fill(200));

    await adminCall('PATCH', `/organizations/${organization.id}/users/pat@globex.example`, { status: 'deactivated' });
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/app`, { headers: asApi }))), Array(SPREAD).fill(401));
  });

  it('refreshes a session once across workers when the provider rotates refresh tokens', async () => {
    // Rotation: a refresh token used twice fails and revokes the grant, which would end the session.
    idp.switches.rotateRefreshTokens = true;
    idp.switches.accessTokenTtl = 2;
    try {
      await adminCall('PUT', '/routes/refresh', { paths: ['/refresh'], service: { name: 'echo' } });
      await adminCall('POST', '/routes/refresh/plugins', {
        name: 'openid-connect',
        config: {
          issuer: idp.issuer('default'),
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uri: `${proxy}/refresh/callback`,
          scopes: ['openid', 'email', 'profile', 'offline_access'],
        },
      });
      const session = await oidcSignIn('/refresh');
      const headers = { accept: 'application/json', cookie: session.cookie() };
      const tokens = new Set<string>();
      const load = async () => {
        const answers = await spread(SPREAD, () => fresh(`${proxy}/refresh/x`, { headers }), SPREAD / 2);
        assert.deepEqual(statuses(answers), Array(SPREAD).fill(200));
        for (const answer of answers) tokens.add(JSON.parse(answer.body).headers.authorization);
      };
      await load();
      // Each round lets the access token fall due (over half its life) or expire, then
      // sends requests to both workers at once: both want to refresh the same session.
      for (const wait of [1200, 2100, 1200, 2100]) {
        await sleep(wait);
        await load();
      }
      assert.ok(tokens.size >= 3, `the access token was renewed (${tokens.size} seen)`);
    } finally {
      delete idp.switches.rotateRefreshTokens;
      delete idp.switches.accessTokenTtl;
    }
  });

  it('refuses a replayed sign-in callback on whichever worker it reaches', async () => {
    await adminCall('PUT', '/routes/replay', { paths: ['/replay'], service: { name: 'echo' } });
    await adminCall('POST', '/routes/replay/plugins', {
      name: 'openid-connect',
      config: { issuer: idp.issuer('default'), client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: `${proxy}/replay/callback` },
    });
    const { callbackUrl, authorizationCookie } = await oidcSignIn('/replay');
    // The authorization cookie is single-use per process only; the provider's code is single-use everywhere.
    const replays = await spread(SPREAD / 2, () => fresh(callbackUrl.href, { headers: { cookie: authorizationCookie } }));
    assert.deepEqual(statuses(replays), Array(SPREAD / 2).fill(401));
    for (const replay of replays) {
      assert.ok(!([replay.headers['set-cookie']].flat() as string[]).some((value) => value?.startsWith('session=')), 'no session from a replay');
    }
  });

  it('locks an account after five wrong passwords, whichever workers took them', async () => {
    const organization = await adminCall('POST', '/organizations', {
      name: 'Initech',
      login_path: 'initech',
      owner: { email: 'owner@initech.example', password: 'owner-password-0123456789' },
    });
    await adminCall('POST', `/organizations/${organization.id}/users`, { email: 'milton@initech.example', password: 'milton-password-0123456789' });
    const attempt = (password: string) =>
      fresh(`${proxy}/login/initech/password`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ email: 'Milton@initech.example', password }),
      });
    const before = await workers();
    // One at a time, each over a new connection: the primary hands them to the workers in turn.
    const wrong: Answer[] = [];
    for (let i = 0; i < 5; i++) wrong.push(await attempt(`wrong-${i}`));
    assert.deepEqual(statuses(wrong), Array(5).fill(401));
    const after = await workers();
    for (const worker of after) {
      const earlier = before.find((w) => w.pid === worker.pid)!;
      assert.ok(worker.requests! > earlier.requests!, `worker ${worker.pid} took some of the wrong passwords`);
    }
    // Locked on every worker, even for the right password.
    const locked = await spread(SPREAD / 2, () => attempt('milton-password-0123456789'));
    assert.deepEqual(statuses(locked), Array(SPREAD / 2).fill(429));
    for (const answer of locked) {
      assert.equal(JSON.parse(answer.body).error_code, 'GH-SIGN-IN-THROTTLED');
      assert.ok(Number(answer.headers['retry-after']) > 0);
    }
    // Another account is not locked.
    const owner = await fresh(`${proxy}/login/initech/password`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ email: 'owner@initech.example', password: 'owner-password-0123456789' }),
    });
    assert.equal(owner.status, 200);
  });

  it('replaces a worker that dies, and the new one serves the current configuration', async () => {
    // A route from before the death (the first test's; PUT again, so that this test stands alone).
    await adminCall('PUT', '/routes/plain', { paths: ['/plain'], service: { name: 'echo' } });
    const [victim, survivor] = await workers();
    process.kill(victim!.pid, 'SIGKILL');
    const replaced = await until('a replacement worker', async () => {
      const now = await workers();
      const fresh = now.find((worker) => worker.pid !== victim!.pid && worker.pid !== survivor!.pid);
      return now.length === 2 && fresh && fresh.started_at !== null && output.text.includes(`"pid":${fresh.pid},"proxy"`) ? fresh : undefined;
    });
    assert.ok(!isAlive(victim!.pid));
    assert.match(output.text, /"msg":"a proxy worker exited; starting another"/);

    await adminCall('PUT', '/routes/after-restart', { paths: ['/after-restart'], service: { name: 'echo' } });
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/after-restart`))), Array(SPREAD).fill(200));
    assert.deepEqual(statuses(await spread(SPREAD, () => fresh(`${proxy}/plain`))), Array(SPREAD).fill(200));
    const served = (await workers()).find((worker) => worker.pid === replaced.pid)!;
    assert.ok(served.requests! > 0, 'the new worker serves');
  });

  it('stops every process on SIGTERM', async () => {
    const pids = (await workers()).map((worker) => worker.pid);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
    assert.equal(code, 0);
    await until('the workers to exit', async () => (pids.every((pid) => !isAlive(pid)) ? true : undefined), 10_000);
  });
});
