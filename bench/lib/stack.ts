import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSeed } from '../../src/dev-idp/demo-seed.js';
import type { DevIdpSeed } from '../../src/dev-idp/seed.js';
import { ensureBuilt, gatehouseCommand, ROOT, type GatewayMode } from './gatehouse-cli.js';
import { freePorts } from '../../testkit/free-ports.js';
import { answers, startService, waitUntil, type Service } from './processes.js';

/**
 * Everything a bench run talks to, each its own process on a loopback port: the
 * upstream (a small fixed answer), the Okta stand-in (`gatehouse dev-idp`) and the
 * gateway (`gatehouse start`, so GATEHOUSE_WORKERS applies as it does for an operator),
 * configured through the Admin API as an operator would.
 */

export const BENCH_CLIENT = { id: 'gatehouse-bench', secret: 'gatehouse-bench-secret-0123456789' } as const;
/** mod_auth_openidc's own registration at the stand-in (the peer is another application). */
export const APACHE_CLIENT = { id: 'apache-bench', secret: 'apache-bench-secret-0123456789' } as const;
/** Registered so the bench can get a bearer token straight from the stand-in; never visited. */
export const TOKEN_REDIRECT_URI = 'http://127.0.0.1/bench/token-callback';
export const USER = { username: 'alice@example.com', password: 'Passw0rd!' } as const;
export const ORGANIZATION = { name: 'Bench', login_path: 'bench', owner_email: 'owner@bench.example', owner_password: 'Bench-Owner-Passw0rd!' };
/** alice is in `service_admin` at the stand-in; the sso route requires the role it maps to. */
export const REQUIRED_ROLE = 'Gateway Admin';
/** Okta's audience for access tokens of the `default` authorization server. */
export const API_AUDIENCE = 'api://default';

/** The routes the scenarios load, by path. */
export const ROUTES = {
  plain: '/plain',
  session: '/session',
  bearer: '/bearer',
  introspection: '/introspection',
  sso: '/sso',
} as const;

export interface GatewayProcess {
  service: Service;
  proxy: string;
  admin: string;
  /** The environment it was started with (a restart reuses it). */
  env: NodeJS.ProcessEnv;
}

export interface BenchStack {
  workDir: string;
  mode: GatewayMode;
  upstream: { url: string; service: Service };
  idp: { origin: string; issuer: string; service: Service };
  gateway: GatewayProcess;
  /** The GATEHOUSE_KEYS the gateway seals cookies and session records with (the memory scenario needs them). */
  keys: string;
  databaseUrl: string;
  apachePort: number;
  adminCall(method: string, path: string, body?: unknown): Promise<any>;
  /** Stops the gateway and starts it again over the same database (the memory scenario's fresh process). */
  restartGateway(): Promise<void>;
  stopGateway(): Promise<void>;
  close(options?: { keepWorkDir?: boolean }): Promise<void>;
}

export async function startStack(options: { mode: GatewayMode; log: (line: string) => void }): Promise<BenchStack> {
  const { mode, log } = options;
  if (mode === 'dist') ensureBuilt(log);
  const workDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  // Every port is chosen first: redirect URIs registered at the stand-in name them.
  const [proxyPort, adminPort, consolePort, idpPort, upstreamPort, apachePort] = (await freePorts(6)) as [number, number, number, number, number, number];
  const proxy = `http://127.0.0.1:${proxyPort}`;

  const upstreamService = startService({
    name: 'upstream',
    command: process.execPath,
    args: ['--import', 'tsx', join(ROOT, 'bench/servers/upstream.ts'), `127.0.0.1:${upstreamPort}`],
    cwd: ROOT,
    logFile: join(workDir, 'upstream.log'),
  });
  const upstreamUrl = `http://127.0.0.1:${upstreamPort}`;

  const seedFile = join(workDir, 'idp-seed.json');
  writeFileSync(seedFile, JSON.stringify(benchSeed(proxy, apachePort), null, 2));
  const idpCommand = gatehouseCommand(mode, ['dev-idp', '--seed', seedFile, '--listen', `127.0.0.1:${idpPort}`]);
  const idpService = startService({
    name: 'Okta stand-in',
    ...idpCommand,
    env: cleanEnv({ GATEHOUSE_LOG_LEVEL: 'warn' }),
    cwd: ROOT,
    logFile: join(workDir, 'idp.log'),
  });
  const idpOrigin = `http://127.0.0.1:${idpPort}`;
  const issuer = `${idpOrigin}/oauth2/default`;

  const keys = randomBytes(32).toString('base64url');
  const adminToken = randomBytes(32).toString('base64url');
  const databaseUrl = `sqlite:${join(workDir, 'gatehouse.db')}`;
  const gatewayEnv = cleanEnv({
    GATEHOUSE_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    GATEHOUSE_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    GATEHOUSE_CONSOLE_LISTEN: `127.0.0.1:${consolePort}`,
    GATEHOUSE_PUBLIC_URL: proxy,
    GATEHOUSE_DATABASE: databaseUrl,
    GATEHOUSE_DATA_DIR: workDir,
    GATEHOUSE_KEYS: keys,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    // The production default: what an operator's gateway logs, the bench's logs too.
    GATEHOUSE_LOG_LEVEL: process.env.GATEHOUSE_LOG_LEVEL ?? 'info',
    // One worker per core once GATEHOUSE_WORKERS exists; passed through as set.
    ...(process.env.GATEHOUSE_WORKERS === undefined ? {} : { GATEHOUSE_WORKERS: process.env.GATEHOUSE_WORKERS }),
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  let gatewayCount = 0;
  const startGateway = async (): Promise<GatewayProcess> => {
    gatewayCount += 1;
    const service = startService({
      name: 'gateway',
      ...gatehouseCommand(mode, ['start']),
      env: gatewayEnv,
      cwd: ROOT,
      logFile: join(workDir, gatewayCount === 1 ? 'gateway.log' : `gateway-${gatewayCount}.log`),
    });
    await waitUntil('the Admin API', async () => (await fetch(`${admin}/status`)).ok, { service });
    await waitUntil('the proxy', () => answers(`${proxy}/`), { service });
    return { service, proxy, admin, env: gatewayEnv };
  };

  await waitUntil('the upstream', () => answers(upstreamUrl), { service: upstreamService });
  await waitUntil('the Okta stand-in', async () => (await fetch(`${issuer}/.well-known/openid-configuration`)).ok, { service: idpService });

  const stack: BenchStack = {
    workDir,
    mode,
    upstream: { url: upstreamUrl, service: upstreamService },
    idp: { origin: idpOrigin, issuer, service: idpService },
    gateway: await startGateway(),
    keys,
    databaseUrl,
    apachePort,
    async adminCall(method, path, body) {
      const response = await fetch(`${admin}${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`Admin API ${method} ${path} answered ${response.status}: ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async restartGateway() {
      await stack.gateway.service.stop();
      stack.gateway = await startGateway();
      await waitForRoutes(stack);
    },
    async stopGateway() {
      await stack.gateway.service.stop();
    },
    async close(closeOptions = {}) {
      await Promise.allSettled([stack.gateway.service.stop(), idpService.stop(), upstreamService.stop()]);
      if (!closeOptions.keepWorkDir) rmSync(workDir, { recursive: true, force: true });
    },
  };
  try {
    await configure(stack);
    await waitForRoutes(stack);
  } catch (error) {
    await stack.close({ keepWorkDir: true });
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n(logs kept in ${workDir})`);
  }
  return stack;
}

/** The environment of a child: the bench's own, without GATEHOUSE_* settings that could change what is measured. */
function cleanEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('GATEHOUSE_')) env[name] = value;
  return { ...env, ...settings };
}

/** The demo's users and groups, with the bench's applications registered. */
function benchSeed(proxy: string, apachePort: number): DevIdpSeed {
  return {
    ...demoSeed,
    clients: [
      {
        client_id: BENCH_CLIENT.id,
        client_secret: BENCH_CLIENT.secret,
        redirect_uris: [`${proxy}${ROUTES.session}/callback`, `${proxy}/login/callback`, TOKEN_REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
      },
      {
        client_id: APACHE_CLIENT.id,
        client_secret: APACHE_CLIENT.secret,
        redirect_uris: [`http://127.0.0.1:${apachePort}/protected/redirect_uri`],
        grant_types: ['authorization_code'],
      },
    ],
  };
}

/** The scenarios' routes and the organization behind the sso route, through the Admin API. */
async function configure(stack: BenchStack): Promise<void> {
  const { proxy } = stack.gateway;
  const issuer = stack.idp.issuer;
  await stack.adminCall('PUT', '/services/upstream', { url: stack.upstream.url });
  const route = async (name: keyof typeof ROUTES, plugin?: { name: string; config: Record<string, unknown> }) => {
    await stack.adminCall('PUT', `/routes/${name}`, { paths: [ROUTES[name]], service: { name: 'upstream' } });
    if (plugin) await stack.adminCall('POST', `/routes/${name}/plugins`, plugin);
  };
  const oidc = { issuer, client_id: BENCH_CLIENT.id, client_secret: BENCH_CLIENT.secret, scopes: ['openid', 'email', 'profile'] };

  await route('plain');
  // Kong's Okta guide's shape: sign-in with the authorization code flow, then the session cookie.
  await route('session', {
    name: 'openid-connect',
    config: { ...oidc, redirect_uri: `${proxy}${ROUTES.session}/callback`, auth_methods: ['authorization_code', 'session'] },
  });
  // An API: JWT access tokens verified with the provider's (cached) keys.
  await route('bearer', { name: 'openid-connect', config: { ...oidc, auth_methods: ['bearer'], audience_required: [API_AUDIENCE] } });
  // The same tokens as opaque ones: introspected once at the provider, then cached until they expire.
  await route('introspection', {
    name: 'openid-connect',
    config: { ...oidc, auth_methods: ['introspection'], cache_introspection: true, audience_required: [API_AUDIENCE] },
  });

  const organization = await stack.adminCall('POST', '/organizations', ORGANIZATION);
  const base = `/organizations/${organization.id}`;
  const roles = (await stack.adminCall('GET', `${base}/roles`)).data as Array<{ id: string; name: string }>;
  const roleId = (name: string) => roles.find((role) => role.name === name)!.id;
  await stack.adminCall('POST', `${base}/role-mappings`, { group: 'service_admin', role: roleId(REQUIRED_ROLE) });
  await stack.adminCall('POST', `${base}/role-mappings`, { group: 'viewers', role: roleId('Viewer') });
  const identity = {
    provider: 'okta',
    okta_domain: new URL(stack.idp.origin).host,
    authorization_server_id: 'default',
    client_id: BENCH_CLIENT.id,
    client_secret: BENCH_CLIENT.secret,
    // The stand-in's default server sends the groups claim for the groups scope only.
    scopes: 'openid profile email groups',
  };
  const tested = await stack.adminCall('POST', `${base}/identity/test`, identity);
  if (tested.message !== 'Configuration tested successfully') throw new Error(`Test Configuration failed: ${JSON.stringify(tested)}`);
  await stack.adminCall('PUT', `${base}/identity`, identity);
  await stack.adminCall('POST', `${base}/identity/enable`, { confirm: true });
  await route('sso', { name: 'sso', config: { organization: ORGANIZATION.login_path, roles_required: [REQUIRED_ROLE] } });
}

/**
 * Waits until every route answers as configured, several times in a row: with several
 * workers, each must have received the configuration before load starts.
 */
export async function waitForRoutes(stack: BenchStack): Promise<void> {
  const { proxy } = stack.gateway;
  // Asked as an API client (JSON), the protected routes answer 401 rather than redirect.
  const expected: Array<[string, number]> = [
    [ROUTES.plain, 200],
    [ROUTES.session, 401],
    [ROUTES.bearer, 401],
    [ROUTES.introspection, 401],
    [ROUTES.sso, 401],
  ];
  for (const [path, status] of expected) {
    let inARow = 0;
    await waitUntil(
      `${path} to answer ${status}`,
      async () => {
        const response = await fetch(`${proxy}${path}`, { redirect: 'manual', headers: { accept: 'application/json' } });
        await response.arrayBuffer();
        inARow = response.status === status ? inARow + 1 : 0;
        return inARow >= 20;
      },
      { service: stack.gateway.service, timeoutMs: 30_000 },
    );
  }
}
