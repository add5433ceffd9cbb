import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import { handleExchange, type ProxyRuntime } from './exchange.js';
import { ProxyErrors, sendError } from './respond.js';
import type { GatewaySnapshot } from './snapshot.js';
import { TrustedProxies } from './trusted-proxies.js';

/**
 * The proxy listener: every request no other Fastify route claims is matched to a
 * route, runs the route's plugins, and is forwarded upstream with bodies streamed
 * (exchange.ts).
 *
 * The proxy runs from an `onRequest` hook on requests Fastify found no route for,
 * rather than from a catch-all route: that way Fastify never looks at the body (no
 * content-type parsing, no 415 for unusual media types), every method works (including
 * WebDAV and custom ones), and routes other modules add to this instance (`/login`,
 * `/.well-known/jwks.json`) still take precedence.
 */

export interface ProxyServerOptions {
  /** Where the current configuration snapshot comes from (read once per request). */
  state: { readonly snapshot: GatewaySnapshot };
  /** For errors on the proxy path; Fastify's own request logging stays off. */
  log: Logger;
  /** Load balancers whose X-Forwarded-* / X-Real-IP headers are believed (IPs or CIDRs). */
  trustedIps?: readonly string[];
  /** Add `Via: 1.1 gatehouse` to upstream requests and client responses. Default false. */
  via?: boolean;
  /** Add `X-Gatehouse-Upstream-Latency` and `X-Gatehouse-Proxy-Latency` (ms) to proxied responses. Default true. */
  latencyHeaders?: boolean;
  /** Forward client headers whose names contain `_` (GATEHOUSE_ALLOW_UNDERSCORE_HEADERS). Default false, as nginx and Kong. */
  allowUnderscoreHeaders?: boolean;
}

function run(rt: ProxyRuntime, req: IncomingMessage, res: ServerResponse): void {
  handleExchange(rt, req, res).catch((error: unknown) => {
    rt.log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'proxy request failed');
    sendError(res, req.headers.accept, ProxyErrors.internal);
  });
}

const runtimes = new WeakMap<FastifyInstance, ProxyRuntime>();

/** Applies the settings a running proxy takes without a restart (SIGHUP; see RELOADABLE_SETTINGS). */
export function reconfigureProxy(app: FastifyInstance, options: { allowUnderscoreHeaders: boolean }): void {
  const rt = runtimes.get(app);
  if (rt) rt.underscores = options.allowUnderscoreHeaders;
}

/**
 * Creates the proxy listener (not listening: the CLI calls `listen`). Fastify's logger
 * is off on this path; errors go to `log`.
 */
export function createProxyServer(options: ProxyServerOptions): FastifyInstance {
  const rt: ProxyRuntime = {
    state: options.state,
    log: options.log,
    trusted: TrustedProxies.from(options.trustedIps),
    via: options.via ?? false,
    latency: options.latencyHeaders ?? true,
    underscores: options.allowUnderscoreHeaders ?? false,
  };

  const app = Fastify({
    logger: false,
    // Fastify rejects some targets (malformed percent-encoding) before routing; a proxy forwards them.
    frameworkErrors: (error, request, reply) => {
      if (error.code === 'FST_ERR_BAD_URL') {
        reply.hijack();
        run(rt, request.raw, reply.raw);
        return;
      }
      reply.hijack();
      sendError(reply.raw, request.headers.accept, ProxyErrors.badRequest);
    },
  });

  runtimes.set(app, rt);
  app.addHook('onRequest', (request, reply, done) => {
    // Requests a route of this instance handles go on to it; everything else is proxied.
    if (!request.is404) {
      done();
      return;
    }
    reply.hijack();
    run(rt, request.raw, reply.raw);
  });

  return app;
}
