import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatehouseError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { compileGroupsFilter } from './accounts.js';
import { AuthorizationServer, type ServerDeps } from './authorization-server.js';
import { signLogoutToken, type LogoutTokenOptions } from './backchannel-logout.js';
import { createControlEndpoint } from './control-endpoint.js';
import { demoSeed } from './demo-seed.js';
import { Directory } from './directory.js';
import { sendHtml, sendJson } from './http.js';
import { generateSigningKey, KeyRing, pooledSigningKey } from './keys.js';
import { createManagementApi } from './management-api.js';
import { parseSeed, type DevIdpSeed } from './seed.js';
import { renderHomePage } from './sign-in-page.js';
import { defaultSwitches, resetSwitches, type DevIdpSwitches } from './switches.js';
import { DEVIDP_LISTEN, DEVIDP_UNKNOWN_AUTH_SERVER } from './error-codes.js';

/**
 * `gatehouse dev-idp`: an Okta stand-in on one HTTP port, for the demo and for tests.
 *
 *   /oauth2/{id}/...           custom authorization servers (`default` unless the seed says otherwise)
 *   /oauth2/v1/..., /.well-known/...   the org authorization server
 *   /api/v1/...                Management API slice (SSWS tokens)
 *   /__dev/...                 test controls, loopback only
 */

export { demoSeed } from './demo-seed.js';
export { loadSeedFile, parseSeed, SeedError, seedSchema } from './seed.js';
export type { DevIdpSeed, NormalizedSeed, SeedClient, SeedGroup, SeedProblem, SeedUser } from './seed.js';
export type { DevIdpSwitches, GroupsOverLimit, TamperIdToken, TamperSigning } from './switches.js';
export { GROUPS_CLAIM_LIMIT, GROUPS_OVER_LIMIT_DESCRIPTION } from './accounts.js';
export { BACKCHANNEL_LOGOUT_EVENT } from './backchannel-logout.js';
export type { LogoutTokenOptions } from './backchannel-logout.js';

export interface DevIdpOptions {
  /** Interface to listen on; default 127.0.0.1. */
  host?: string;
  /** Port; default 9000; 0 picks a free one. */
  port?: number;
  /** Directory and app registrations; default `demoSeed`. Validated (every problem reported at once). */
  seed?: DevIdpSeed;
  log?: Logger;
  /**
   * The origin announced in issuers and links when it differs from `http://{host}:{port}`
   * (e.g. behind a port mapping). Default: derived from the listening address.
   */
  publicOrigin?: string;
  /** Whether `rotateSigningKey()` keeps publishing the replaced key in JWKS; default false. */
  keepPreviousKeyOnRotation?: boolean;
}

export interface RotateSigningKeyOptions {
  /** `'org'` or a custom server id; default: every authorization server. */
  authServer?: string;
  /** Overrides `DevIdpOptions.keepPreviousKeyOnRotation` for this rotation. */
  keepPrevious?: boolean;
}

export interface DevIdp {
  /** The Okta "domain" / org URL, e.g. http://127.0.0.1:9000. */
  readonly origin: string;
  /** `'default'` (default) -> `${origin}/oauth2/default`; `'org'` -> origin; any seeded custom server id. */
  issuer(authServer?: string): string;
  /** Test switches, read on every request; mutate freely. */
  readonly switches: DevIdpSwitches;
  /** Puts every switch back to its default. */
  resetSwitches(): void;
  /**
   * A new RS256 key with a new kid signs from now on. The JWKS then publishes the new key
   * (plus the replaced one when `keepPrevious`); tokens signed before stay acceptable to the
   * stand-in's own endpoints. Returns the new kid per authorization server.
   */
  rotateSigningKey(options?: RotateSigningKeyOptions): Promise<Record<string, string>>;
  /**
   * A Back-Channel Logout token as the stand-in POSTs it when a sign-in session ends: RS256
   * with the server's current key and kid, `typ: logout+jwt`, `iss`, `aud` = clientId, `iat`,
   * `exp`, `jti`, `events`, and `sub` (user id) and/or `sid` (at least one). `audience`,
   * `claims` and `removeClaims` make the wrong tokens negative tests need.
   */
  logoutToken(options: LogoutTokenOptions): Promise<string>;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

function hostForUrl(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startDevIdp(options: DevIdpOptions = {}): Promise<DevIdp> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9000;
  const log = options.log ?? silentLogger();
  const seed = parseSeed(options.seed ?? demoSeed, 'dev IdP seed');
  const keepPreviousDefault = options.keepPreviousKeyOnRotation ?? false;

  const switches = defaultSwitches();
  const directory = new Directory(seed);
  const deps: ServerDeps = {
    seed,
    directory,
    switches,
    log,
    clients: new Map(seed.clients.map((client) => [client.client_id, client])),
    groupsFilters: new Map(seed.clients.map((client) => [client.client_id, compileGroupsFilter(client.groups_claim_filter)])),
    // Random per instance: cookies of one stand-in mean nothing to another.
    cookieKeys: [randomBytes(32).toString('base64url')],
  };

  // Keys first (pooled, so usually instant), then the port, then the servers, which need the origin.
  const serverIds = ['org', ...seed.authorization_servers.map((server) => server.id)];
  const initialKeys = await Promise.all(serverIds.map((_, index) => pooledSigningKey(index)));

  let servers: AuthorizationServer[] = [];
  let orgServer: AuthorizationServer | undefined;
  let origin = '';
  let handleManagementApi: ReturnType<typeof createManagementApi> | undefined;

  const rotateSigningKey = async (rotation: RotateSigningKeyOptions = {}): Promise<Record<string, string>> => {
    const targets = rotation.authServer === undefined ? servers : servers.filter((server) => server.id === rotation.authServer);
    if (targets.length === 0) {
      throw new GatehouseError(DEVIDP_UNKNOWN_AUTH_SERVER, `unknown authorization server '${rotation.authServer}'`, { status: 400, field: 'authServer' });
    }
    const keys = await Promise.all(targets.map(() => generateSigningKey()));
    const kids: Record<string, string> = {};
    targets.forEach((server, i) => {
      const key = keys[i];
      if (!key) return;
      server.keys.rotate(key, rotation.keepPrevious ?? keepPreviousDefault);
      server.build();
      kids[server.id] = key.kid;
    });
    log.info({ kids }, 'dev IdP signing keys rotated');
    return kids;
  };

  const handleControl = createControlEndpoint({ switches, rotateSigningKey });

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only the path and query matter; the host is never trusted for routing.
    const url = new URL(req.url ?? '/', 'http://dev-idp.invalid');
    const { pathname } = url;
    if (!orgServer || !handleManagementApi) {
      sendJson(res, 503, { error: 'temporarily_unavailable', error_description: 'The dev IdP is starting.' });
      return;
    }
    if (pathname.startsWith('/__dev/')) return handleControl(req, res, url);
    if (pathname.startsWith('/api/v1/')) return handleManagementApi(req, res, url);
    if ((pathname === '/' || pathname === '/signed-out') && req.method === 'GET') {
      sendHtml(res, 200, renderHomePage({
        issuers: servers.map((server) => server.issuer),
        logins: [...seed.users].filter((user) => user.status === 'ACTIVE').map((user) => user.login),
        signedOut: pathname === '/signed-out',
      }));
      return;
    }
    const server = servers.find((candidate) => candidate.owns(pathname)) ?? orgServer;
    return server.handle(req, res, url, servers);
  }

  const httpServer = createServer((req, res) => {
    const started = performance.now();
    // Path only: query strings carry codes, states and hints.
    const path = req.url?.split('?')[0];
    res.on('finish', () => {
      log.debug({ method: req.method, path, status: res.statusCode, ms: Math.round(performance.now() - started) }, 'dev IdP request');
    });
    dispatch(req, res).catch((error: unknown) => {
      log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'dev IdP request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'server_error', error_description: 'The dev IdP failed to handle the request.' });
      else res.destroy();
    });
  });

  let address: AddressInfo;
  try {
    address = await listen(httpServer, port, host);
  } catch (cause) {
    throw new GatehouseError(DEVIDP_LISTEN, `dev IdP cannot listen on ${host}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  origin = (options.publicOrigin ?? `http://${hostForUrl(host)}:${address.port}`).replace(/\/+$/, '');

  servers = serverIds.map((id, index) => {
    const key = initialKeys[index];
    if (!key) throw new Error('missing signing key');
    const custom = seed.authorization_servers[index - 1];
    return new AuthorizationServer({ kind: index === 0 ? 'org' : 'custom', id, origin, keys: new KeyRing(key), deps, groupsClaimScopes: custom?.groups_claim.scopes ?? [] });
  });
  orgServer = servers[0];
  handleManagementApi = createManagementApi({
    directory,
    switches,
    seed,
    log,
    origin: () => origin,
    authorizationServers: () => servers.filter((server) => server.kind === 'custom'),
  });

  const sweeper = setInterval(() => servers.forEach((server) => {
    server.store.sweep();
    server.sessionClients.sweep();
  }), SWEEP_INTERVAL_MS);
  sweeper.unref();

  log.info({ origin, issuers: servers.map((server) => server.issuer) }, 'dev IdP listening');

  const serverById = (authServer: string): AuthorizationServer => {
    const server = servers.find((candidate) => candidate.id === authServer);
    if (!server) {
      throw new GatehouseError(DEVIDP_UNKNOWN_AUTH_SERVER, `unknown authorization server '${authServer}'`, { status: 400, field: 'authServer' });
    }
    return server;
  };

  let closing: Promise<void> | undefined;
  return {
    origin,
    issuer(authServer = 'default') {
      return serverById(authServer).issuer;
    },
    async logoutToken({ authServer = 'default', ...options }) {
      return signLogoutToken(serverById(authServer), options);
    },
    switches,
    resetSwitches: () => resetSwitches(switches),
    rotateSigningKey,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        clearInterval(sweeper);
        httpServer.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive connections (fetch keeps them) would hold close() open for seconds.
        httpServer.closeAllConnections();
      });
      return closing;
    },
  };
}
