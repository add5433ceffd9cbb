import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { KeyRing } from '../../src/crypto/keyring.js';
import type { Logger } from '../../src/log.js';
import type { ProviderCache } from '../../src/oidc/provider-cache.js';
import { MemorySessionBackend } from '../../src/sessions/memory-backend.js';
import { SessionStore } from '../../src/sessions/store.js';
import type {
  ConsumerEntity,
  GatewayConfiguration,
  PluginEntity,
  RouteEntity,
  ServiceEntity,
} from '../../src/model/gateway.js';
import type { PluginDefinition } from '../../src/gateway/plugin.js';
import { createProxyServer, type ProxyServerOptions } from '../../src/gateway/server.js';
import { GatewayState } from '../../src/gateway/gateway-state.js';

const now = Math.floor(Date.now() / 1000);

export function makeService(fields: Partial<ServiceEntity> & { url?: string } = {}): ServiceEntity {
  const { url, ...rest } = fields;
  const parsed = url ? new URL(url) : undefined;
  return {
    id: randomUUID(),
    name: null,
    protocol: parsed ? (parsed.protocol.slice(0, -1) as 'http' | 'https') : 'http',
    host: parsed ? parsed.hostname.replace(/^\[|\]$/g, '') : '127.0.0.1',
    port: parsed ? Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)) : 80,
    path: parsed && parsed.pathname !== '/' ? parsed.pathname : null,
    connect_timeout: 60_000,
    read_timeout: 60_000,
    write_timeout: 60_000,
    retries: 5,
    enabled: true,
    tags: null,
    created_at: now,
    updated_at: now,
    ...rest,
  };
}

export function makeRoute(fields: Partial<RouteEntity> & { serviceId?: string | null } = {}): RouteEntity {
  const { serviceId, ...rest } = fields;
  return {
    id: randomUUID(),
    name: null,
    protocols: ['http', 'https'],
    methods: null,
    hosts: null,
    paths: null,
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    service: serviceId ? { id: serviceId } : null,
    tags: null,
    created_at: now,
    updated_at: now,
    ...rest,
  };
}

export function makePlugin(fields: Partial<PluginEntity> & { name: string }): PluginEntity {
  return {
    id: randomUUID(),
    config: {},
    enabled: true,
    route: null,
    service: null,
    consumer: null,
    protocols: ['http', 'https'],
    tags: null,
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

export function makeConsumer(fields: Partial<ConsumerEntity> = {}): ConsumerEntity {
  return { id: randomUUID(), username: null, custom_id: null, tags: null, created_at: now, updated_at: now, ...fields };
}

export function makeConfig(parts: Partial<GatewayConfiguration>): GatewayConfiguration {
  return { services: [], routes: [], plugins: [], consumers: [], ...parts };
}

/** A logger whose lines the test can read. */
export function captureLogger(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { log: pino({ level: 'debug' }, destination), lines };
}

export interface TestGateway {
  url: string;
  port: number;
  state: GatewayState;
  app: FastifyInstance;
  lines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfiguration,
  options: { registry?: ReadonlyMap<string, PluginDefinition> } & Omit<Partial<ProxyServerOptions>, 'state' | 'log'> = {},
): Promise<TestGateway> {
  const { log, lines } = captureLogger();
  const { registry, ...serverOptions } = options;
  const state = new GatewayState(config, {
    keyRing: KeyRing.fromSecrets(['test-secret-for-the-gateway-tests']),
    sessions: new SessionStore(new MemorySessionBackend()),
    // The test plugins never use providers.
    providers: {} as ProviderCache,
    log,
    registry: registry ?? new Map(),
    retireAfterMs: 0,
  });
  const app = createProxyServer({ state, log, ...serverOptions });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    state,
    app,
    lines,
    async close() {
      await app.close();
      await state.close();
    },
  };
}

/** A client with its own connection pool, so tests do not share keep-alive sockets. */
export function testClient(): { agent: Agent; call: typeof call } {
  const agent = new Agent({ keepAliveTimeout: 1000 });
  return {
    agent,
    call: (url, options = {}) => call(url, { dispatcher: agent, ...options }),
  };
}

export interface CallResult {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  text: string;
  json<T = any>(): T;
}

export async function call(
  url: string,
  options: { dispatcher?: Dispatcher } & Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: string } = {},
): Promise<CallResult> {
  const response = await request(url, options as Parameters<typeof request>[1]);
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    text,
    json: () => JSON.parse(text),
  };
}
