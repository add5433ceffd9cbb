import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadSettings } from '../../src/config/settings.js';
import { demoSeed, startDevIdp, type DevIdp, type DevIdpSeed } from '../../src/dev-idp/index.js';
import { startEchoUpstream, type EchoUpstream } from '../../src/gateway/echo-upstream.js';
import { createLogger } from '../../src/log.js';
import { CookieJar, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { freePort } from '../../testkit/free-ports.js';
import { DEMO_REDIRECT_URI } from '../dev-idp/oidc-client.js';
import { startGatehouse, type Gatehouse } from '../../src/runtime.js';

export const CLIENT_ID = 'gatehouse-test';
export const CLIENT_SECRET = 'gatehouse-test-secret-0123456789';
export const PASSWORD = 'Passw0rd!';
/** The bootstrap token (`GATEHOUSE_ADMIN_TOKEN`) tests call the Admin API with. */
export const ADMIN_TOKEN = 'test-bootstrap-admin-token-0123456789abcdef';
/** Route paths whose `/callback` the stand-in accepts as a redirect URI. */
const CALLBACK_PREFIXES = ['', '/api', '/team', '/grouped', '/other', '/brief'];

/**
 * Everything an end-to-end test talks to, each a real server on a loopback port:
 * Gatehouse (proxy and Admin API over a SQLite file in a temp folder), the Okta
 * stand-in and an echo upstream. `logs` collects every line Gatehouse logged, so
 * tests can prove secrets never reach them.
 */
export interface Stack {
  gatehouse: Gatehouse;
  /** The Okta stand-in; a new object after `startIdp`. */
  idp: DevIdp;
  /** Paths of every request the stand-in answered, in order (e.g. to count JWKS downloads). */
  idpRequests: string[];
  upstream: EchoUpstream;
  dataDir: string;
  logs: string[];
  /** `http://127.0.0.1:{proxy port}` */
  proxy: string;
  admin: string;
  /** Sends an Admin API request with a form body (as Kong's guides do) or JSON; throws unless 2xx. */
  adminCall(method: string, path: string, body?: Record<string, unknown>): Promise<any>;
  /** Stops Gatehouse and starts it again over the same data folder and database. */
  restart(): Promise<void>;
  /** Stops the Okta stand-in: the provider is down. */
  stopIdp(): Promise<void>;
  /** Starts the stand-in again on the same port with the same seed (and, in this process, the same first keys). */
  startIdp(): Promise<void>;
  close(): Promise<void>;
}

export interface StackOptions {
  /** Extra fields for the seed's client or whole seed changes. */
  seed?: (seed: DevIdpSeed, proxy: string) => DevIdpSeed;
  jwksCooldownMs?: number;
  /** Waits between Gatehouse's attempts to reach a provider that is down (first, longest). */
  providerRetryMs?: { min: number; max: number };
  /** How many session records stay unpacked in memory (see MemoryTier); 1 packs all but the latest. */
  sessionsInUse?: number;
  /** Ports to use when free (the browser tests' screenshots show them); any free port otherwise. */
  preferredPorts?: { proxy?: number; idp?: number };
  /** More settings, as environment variables (`GATEHOUSE_…`). */
  env?: Record<string, string>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-e2e-'));
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  // The proxy's port is chosen first: the public URL (redirect URIs) must name it.
  const proxyPort = await freePort(options.preferredPorts?.proxy);
  const env = {
    GATEHOUSE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    GATEHOUSE_ADMIN_LISTEN: '127.0.0.1:0',
    GATEHOUSE_CONSOLE_LISTEN: '127.0.0.1:0',
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_DATABASE: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    GATEHOUSE_PUBLIC_URL: `http://127.0.0.1:${proxyPort}`,
    GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN,
    ...options.env,
  };
  const start = () =>
    startGatehouse({
      settings: loadSettings({ env }),
      log,
      jwksCooldownMs: options.jwksCooldownMs ?? 0,
      ...(options.providerRetryMs === undefined ? {} : { providerRetryMs: options.providerRetryMs }),
      ...(options.sessionsInUse === undefined ? {} : { sessionsInUse: options.sessionsInUse }),
    });
  let gatehouse = await start();
  const proxy = gatehouse.proxyUrl;
  const baseSeed: DevIdpSeed = {
    ...demoSeed,
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        // The demo redirect URI lets tests get tokens for this client directly with openid-client.
        redirect_uris: [
          ...CALLBACK_PREFIXES.map((prefix) => `${proxy}${prefix}/callback`),
          `${proxy}/api`,
          `${proxy}/login/callback`,
          DEMO_REDIRECT_URI,
        ],
        post_logout_redirect_uris: [`${proxy}/signed-out`, `${proxy}/login/acme`, `${proxy}/login/globex`],
        groups_claim_filter: '.*',
        grant_types: ['authorization_code', 'refresh_token'],
      },
      // The demo app stays registered: tests use it as "another application" of the same org.
      ...(demoSeed.clients ?? []),
    ],
  };
  const idpSeed = options.seed ? options.seed(baseSeed, proxy) : baseSeed;
  const idpRequests: string[] = [];
  // The stand-in logs each request it answered at debug level: the path is all tests read.
  const idpLog = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) {
          if (!line) continue;
          const entry = JSON.parse(line) as { msg?: string; path?: string };
          if (entry.msg === 'dev IdP request' && entry.path) idpRequests.push(entry.path);
        }
        done();
      },
    }),
  });
  let idp = await startDevIdp({ port: options.preferredPorts?.idp ? await freePort(options.preferredPorts.idp) : 0, seed: idpSeed, log: idpLog });
  const upstream = await startEchoUpstream({ port: 0 });

  const stack: Stack = {
    gatehouse,
    idp,
    idpRequests,
    upstream,
    dataDir,
    logs,
    proxy,
    get admin() {
      return stack.gatehouse.adminUrl;
    },
    async adminCall(method, path, body) {
      const response = await fetch(`${stack.gatehouse.adminUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async restart() {
      await stack.gatehouse.close();
      gatehouse = await start();
      stack.gatehouse = gatehouse;
    },
    async stopIdp() {
      await stack.idp.close();
    },
    async startIdp() {
      idp = await startDevIdp({ port: Number(new URL(stack.idp.origin).port), seed: idpSeed, log: idpLog });
      stack.idp = idp;
    },
    async close() {
      await Promise.allSettled([stack.gatehouse.close(), stack.idp.close(), upstream.close()]);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return stack;
}

/** Creates service `echo`, route `api` on `/api` and an openid-connect plugin with the given config. */
export async function protectRoute(
  stack: Stack,
  config: Record<string, unknown>,
  route: { name?: string; paths?: string[] } = {},
): Promise<{ pluginId: string; routeId: string }> {
  await stack.adminCall('PUT', '/services/echo', { url: stack.upstream.url });
  const routeName = route.name ?? 'api';
  const created = await stack.adminCall('PUT', `/routes/${routeName}`, {
    paths: route.paths ?? ['/api'],
    service: { name: 'echo' },
  });
  const plugin = await stack.adminCall('POST', `/routes/${routeName}/plugins`, {
    name: 'openid-connect',
    config: {
      issuer: stack.idp.issuer('default'),
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uri: `${stack.proxy}${(route.paths?.[0] ?? '/api').replace(/\/$/, '')}/callback`,
      scopes: ['openid', 'email', 'profile'],
      ...config,
    },
  });
  return { pluginId: plugin.id, routeId: created.id };
}

/**
 * A browser's way into a protected path: the gateway redirects to the stand-in, the
 * user signs in there, and the stand-in redirects back with a code. Stops before the
 * callback reaches the gateway, so tests can tamper with it.
 */
export async function beginSignIn(stack: Stack, path = '/api', username = 'alice@example.com') {
  const jar = new CookieJar();
  const start = await browserFetch(jar, `${stack.proxy}${path}`);
  if (start.status !== 302) throw new Error(`expected a redirect to the provider for ${path}, got ${start.status}`);
  const location = new URL(start.headers.get('location')!);
  const { callbackUrl } = await signIn({
    authorizeUrl: location,
    username,
    password: PASSWORD,
    jar,
    isCallback: (url) => url.origin === stack.proxy,
  });
  return { jar, start, location, callbackUrl };
}

/** The whole sign-in through the gateway; `jar` then holds the session cookie (when the callback succeeded). */
export async function signInThroughGateway(stack: Stack, path = '/api', username = 'alice@example.com') {
  const begun = await beginSignIn(stack, path, username);
  const callback = await browserFetch(begun.jar, begun.callbackUrl);
  return { ...begun, callback };
}
