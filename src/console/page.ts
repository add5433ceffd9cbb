import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminPermission } from '../admin/auth.js';
import { ORGANIZATION_SESSION_COOKIE } from '../identity/organization-session.js';
import type { Logger } from '../log.js';
import type { Assets } from './assets.js';
import { cookiesOf, type CsrfGuard } from './csrf.js';
import { errorPageContent } from '../web/error-page.js';
import { trusted, type SafeHtml } from './html.js';
import { layout } from './layout.js';
import { whoIsSignedIn, type SignedIn } from './signed-in.js';
import { AdminCallError, AdminClient, type InProcessServer } from './upstream.js';

/**
 * A console page: a path, a title, the permission needed to see it, and a `render`
 * that returns the content of `<main>`. The runner does the rest: it finds out who is
 * signed in (or sends the browser to sign in and back), refuses people whose roles
 * do not allow the page, gives `render` an Admin API client acting as that person and
 * the CSRF token for its forms, and turns a failed Admin API call into a message on
 * the page instead of a blank one.
 */
export interface ConsolePage {
  /** The page's path; a navigation entry with the same path becomes a link. */
  path: string;
  title: string;
  /** Needed to see the page (the Admin API checks every call again). */
  permission?: AdminPermission;
  /**
   * The navigation entry to mark as current (for sub-pages such as
   * `/gateway/services/:id`); default `path`.
   */
  section?: string;
  /** Extra script modules of `src/console/assets/` this page loads after `console.js` (e.g. `identity.js`). */
  scripts?: readonly string[];
  render(context: PageContext): Promise<SafeHtml> | SafeHtml;
}

export interface PageContext {
  request: FastifyRequest;
  reply: FastifyReply;
  signedIn: SignedIn;
  /** The Admin API as the signed-in person. */
  admin: AdminClient;
  /** For `csrfField(csrf)` in forms (scripts read it from the page's meta tag). */
  csrf: string;
  /** The query string, one value per name. */
  query: Record<string, string | undefined>;
  /** The path's parameters (`/gateway/services/:id` → `{id}`). */
  params: Record<string, string | undefined>;
}

export interface PageEnvironment {
  admin: InProcessServer;
  csrf: CsrfGuard;
  assets: Assets;
  log: Logger;
}

export function sendHtml(reply: FastifyReply, status: number, document: SafeHtml): FastifyReply {
  return reply.code(status).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(document.toString());
}

/** The Admin API client for the person behind a request (their session cookie, their address). */
export function adminFor(server: InProcessServer, request: FastifyRequest): AdminClient {
  return new AdminClient(server, cookiesOf(request)[ORGANIZATION_SESSION_COOKIE], request.ip);
}

/** The sign-in page, coming back to `path` afterwards. */
export function signInLocation(path: string): string {
  return `/?return_to=${encodeURIComponent(path)}`;
}

/** A failed Admin API call, as the page's content. */
export function errorPanel(title: string, error: AdminCallError): SafeHtml {
  const message =
    error.status === 403
      ? (error.body.message ?? 'Your roles do not allow this.')
      : error.status >= 500
        ? 'Gatehouse could not load this page because of an error on the server. Try again; if it persists, the server log has the details.'
        : (error.body.message ?? `The Admin API answered ${error.status}.`);
  return trusted(errorPageContent({ heading: title, message, code: error.body.error_code }));
}

export function registerPages(app: FastifyInstance, pages: readonly ConsolePage[], environment: PageEnvironment): void {
  const paths = new Set(pages.map((page) => page.path));
  for (const page of pages) {
    app.get(page.path, async (request, reply) => {
      const admin = adminFor(environment.admin, request);
      const signedIn = await whoIsSignedIn(admin);
      if (!signedIn) return reply.header('cache-control', 'no-store').redirect(signInLocation(request.url), 303);
      const csrf = environment.csrf.token(request, reply);
      const document = (status: number, content: SafeHtml) =>
        sendHtml(reply, status, layout({ title: page.title, assets: environment.assets, csrf, content, signedIn, current: page.section ?? page.path, pages: paths, scripts: page.scripts }));

      if (page.permission && !signedIn.permissions.has(page.permission)) {
        const roles = signedIn.user.roles.map((role) => role.role_name).join(', ') || 'none';
        return document(403, errorPanel(page.title, new AdminCallError(403, { message: `Your roles (${roles}) do not allow this page.` })));
      }
      try {
        const query = Object.fromEntries(Object.entries(request.query as Record<string, unknown>).map(([key, value]) => [key, Array.isArray(value) ? String(value[0]) : String(value)]));
        const params = request.params as Record<string, string | undefined>;
        const content = await page.render({ request, reply, signedIn, admin, csrf, query, params });
        return document(200, content);
      } catch (error) {
        if (!(error instanceof AdminCallError)) throw error;
        // Signed out (or deactivated) between the two calls: sign in again.
        if (error.status === 401) return reply.header('cache-control', 'no-store').redirect(signInLocation(request.url), 303);
        if (error.status >= 500) environment.log.error({ page: page.path, status: error.status, error_code: error.body.error_code }, 'an Admin API call of a console page failed');
        return document(error.status >= 500 ? 502 : error.status, errorPanel(page.title, error));
      }
    });
  }
}
