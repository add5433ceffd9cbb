import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { isDatabaseReachable } from '../../store/database.js';
import { callerIfAny } from '../auth.js';
import { endpoint, gatewayOf, type AdminContext } from '../context.js';

/** The package version; the same relative path works from src/ (tsx) and dist/. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `GET /` (node information) and `GET /status` (health), in Kong's shapes. */
export function registerInfoRoutes(app: FastifyInstance, ctx: AdminContext, extraStatus?: () => Promise<Record<string, unknown>>): void {
  const version = packageVersion();
  const nodeId = randomUUID();
  const startedAt = Date.now();
  let totalRequests = 0;
  app.addHook('onRequest', async () => {
    totalRequests += 1;
  });

  endpoint(app, '/', {
    GET: async (request) => {
      const availableOnServer = Object.fromEntries(
        [...ctx.registry.values()]
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((definition) => [definition.name, { version, priority: definition.priority }]),
      );
      return {
        tagline: 'Welcome to Gatehouse',
        version,
        edition: 'community',
        hostname: hostname(),
        node_id: nodeId,
        // decK and other Kong tools read `configuration.database`; anything but "off" means a database-backed node.
        configuration: { database: 'sqlite', admin_api: 'kong-compatible' },
        plugins: {
          available_on_server: availableOnServer,
          // The caller's own: another organization's plugin names are none of its business.
          enabled_in_cluster: await gatewayOf(ctx, request).plugins.configuredNames(),
        },
      };
    },
  });

  endpoint(app, '/status', {
    GET: async (request) => {
      const reachable = await isDatabaseReachable(ctx.db);
      // Anonymous callers (load balancers, probes) and organizations' users learn that the
      // node answers and whether it can serve; the process ids, memory and session counts
      // of the whole server are the operator's (the bootstrap token).
      if (callerIfAny(request)?.kind !== 'bootstrap') return { reachable: true, ready: reachable };
      const memory = process.memoryUsage();
      return {
        reachable: true,
        ready: reachable,
        database: { reachable },
        server: {
          total_requests: totalRequests,
          uptime_seconds: Math.floor((Date.now() - startedAt) / 1000),
        },
        memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed, heap_total_bytes: memory.heapTotal },
        ...(extraStatus ? await extraStatus() : {}),
      };
    },
  });
}
