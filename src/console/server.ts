import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import { registerApiProxy } from './api-proxy.js';
import { Assets } from './assets.js';
import { CsrfGuard, csrfMessage, type CsrfKey, type CsrfRefusal } from './csrf.js';
import { errorPageContent } from '../web/error-page.js';
import { html, trusted, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { registerPages, sendHtml, type ConsolePage } from './page.js';
import { PAGES } from './pages/index.js';
import { registerSignIn, type OrganizationLookup } from './sign-in.js';
import { prefersJson } from '../web/negotiation.js';
import type { InProcessServer } from './upstream.js';
import { CONSOLE_BAD_REQUEST, CONSOLE_CSRF, CONSOLE_INTERNAL, CONSOLE_NOT_FOUND } from './error-codes.js';

/**
 * The web console (issue 4), on its own listener (`GATEHOUSE_CONSOLE_LISTEN`,
 * default 127.0.0.1:8002). Server-rendered HTML pages with one stylesheet and one
 * small script module, all served from this process: no CDN, no external fonts, no
 * bundler. Data comes from the Admin API, in-process and as the signed-in person;
 * scripts reach it same-origin at `/api/*`. See docs/console.md.
 */
export interface ConsoleDependencies {
  /** The Admin API instance: pages read through it and `/api/*` goes to it. */
  admin: InProcessServer;
  /** The proxy instance: its sign-in endpoints (`/login/{path}/password`, `/logout`). */
  proxy: InProcessServer;
  /** Signs CSRF tokens (the key ring). */
  keyRing: CsrfKey;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`): "Sign in with Okta" goes there. Read on use: the port may be bound later. */
  publicUrl: () => string;
  /** Organizations by login path, for the sign-in page (before anyone is signed in, the Admin API answers nothing). */
  organizations: OrganizationLookup;
  log: Logger;
  /** Load balancers whose X-Forwarded-* headers are believed (`GATEHOUSE_TRUSTED_IPS`): the client's address matters for sign-in throttling. */
  trustedIps?: readonly string[] | undefined;
  /** The pages behind sign-in; default every page of src/console/pages. */
  pages?: readonly ConsolePage[] | undefined;
}

/**
 * The Content Security Policy: everything from this origin only, no inline scripts or
 * styles (so an escaping mistake cannot run script), no framing. `form-action` is left
 * out on purpose: "Sign in with Okta" and single logout answer a form post with a
 * redirect to the proxy's or Okta's origin, which Chromium would block under it.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const BACK_TO_CONSOLE = html`<p><a href="/">Back to the console</a></p>`;

export function createConsoleServer(deps: ConsoleDependencies): FastifyInstance {
  const log = deps.log.child({ component: 'console' });
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast keeps the instance's type the plain default one.
    loggerInstance: log as FastifyBaseLogger,
    // The Admin API logs the calls that matter; assets and page views would only be noise.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: deps.trustedIps && deps.trustedIps.length > 0 ? [...deps.trustedIps] : false,
    // Bodies pass through to the Admin API, which takes up to 1 MiB.
    bodyLimit: 1024 * 1024,
  });
  const assets = new Assets();
  const csrf = new CsrfGuard(deps.keyRing);

  app.addHook('onSend', async (_request, reply, payload) => {
    reply
      .header('content-security-policy', CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .header('cross-origin-opener-policy', 'same-origin');
    return payload;
  });

  // Form posts as the browser sends them (parsed with URLSearchParams, one value per name).
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  // Every state-changing request, pages and /api alike, after its body is parsed (the token may be a form field).
  app.addHook('preHandler', async (request, reply) => {
    const refusal = csrf.check(request);
    if (refusal) return refuseCsrf(request, reply, refusal);
  });

  function refuseCsrf(request: FastifyRequest, reply: FastifyReply, refusal: CsrfRefusal) {
    const message = csrfMessage(refusal);
    if (wantsJson(request)) return reply.code(403).header('cache-control', 'no-store').send({ message, error_code: CONSOLE_CSRF });
    return problemPage(request, reply, 403, 'Request refused', message, BACK_TO_CONSOLE);
  }

  function problemPage(request: FastifyRequest, reply: FastifyReply, status: number, title: string, message: string, link: SafeHtml) {
    const content = trusted(errorPageContent({ heading: title, message }, link.toString()));
    return sendHtml(reply, status, layout({ title, assets, csrf: csrf.token(request, reply), content }));
  }

  assets.register(app);
  registerSignIn(app, { admin: deps.admin, proxy: deps.proxy, csrf, assets, organizations: deps.organizations, publicUrl: deps.publicUrl, log });
  registerPages(app, deps.pages ?? PAGES, { admin: deps.admin, csrf, assets, log });
  registerApiProxy(app, deps.admin);

  app.setNotFoundHandler(async (request, reply) => {
    if (wantsJson(request)) return reply.code(404).send({ message: 'Not found', error_code: CONSOLE_NOT_FOUND });
    return problemPage(request, reply, 404, 'Page not found', 'There is no console page at this address.', html`<p><a href="/">Go to the console</a></p>`);
  });

  app.setErrorHandler(async (error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    // Client errors (a malformed or oversized body) say what was wrong; anything else stays in the log.
    if (status === 500) log.error({ err: { message: error.message, stack: error.stack }, url: request.routeOptions.url }, 'console request failed');
    const message = status === 500 ? 'Something went wrong on the server; try again. If it persists, the server log has the details.' : 'The request could not be read.';
    if (wantsJson(request)) return reply.code(status).send({ message, error_code: status === 500 ? CONSOLE_INTERNAL : CONSOLE_BAD_REQUEST });
    return problemPage(request, reply, status, status === 500 ? 'Something went wrong' : 'Bad request', message, BACK_TO_CONSOLE);
  });

  return app;
}

/** Scripts (and `/api/*`) get JSON errors; browsers navigating get a page. */
function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || prefersJson(request.headers.accept);
}
