import type { FastifyInstance } from 'fastify';
import { ORGANIZATION_SESSION_COOKIE, endOrganizationSession, readOrganizationSession } from '../identity/organization-session.js';
import { describe } from '../oidc/provider-cache.js';
import { endSessionUrl } from '../oidc/rp-initiated-logout.js';
import { isCrossSite } from '../web/same-site.js';
import { cookiesOf, type SignInContext } from './context.js';
import { answer } from './pages.js';
import { SIGN_OUT_CROSS_SITE } from '../web/error-codes.js';

/**
 * Sign-out of the organization session; with single logout on, the browser continues
 * at the provider's end-session endpoint and comes back to the sign-in page.
 */
export function registerSignOut(scope: FastifyInstance, context: SignInContext): void {
  const { deps, log } = context;
  scope.post('/logout', async (request, reply) => {
    if (isCrossSite(request.headers, request.headers.host)) return answer(request, reply, 403, SIGN_OUT_CROSS_SITE, 'Sign-out must start from this site.');
    const current = await readOrganizationSession(deps.sessions, deps.keyRing, cookiesOf(request)[ORGANIZATION_SESSION_COOKIE]);
    reply.header('set-cookie', context.cookie(ORGANIZATION_SESSION_COOKIE, '', 0)).header('cache-control', 'no-store');
    if (!current) return reply.redirect('/', 303);
    const session = current.session;
    await endOrganizationSession(deps.sessions, current.sid);
    const organization = await deps.store.organization(session.organization_id);
    await context.auditUser({ id: session.user_id, email: session.email }, session.organization_id, 'sign_out');
    const back = new URL(`/login/${session.login_path}?signed_out`, context.site().url);
    const settings = organization ? await deps.store.identitySettings(organization.id) : undefined;
    if (settings?.single_logout && session.id_token) {
      try {
        const provider = await context.providerFor(settings);
        const atProvider = endSessionUrl(provider, context.clientFor(provider, settings), {
          idTokenHint: session.id_token,
          postLogoutRedirectUri: new URL(`/login/${session.login_path}`, context.site().url).href,
          // The sign-in page tells a browser back from the provider's sign-out by it.
          withState: true,
        });
        if (atProvider) return reply.redirect(atProvider, 303);
      } catch (error) {
        log.warn({ err: describe(error) }, 'single logout skipped: the provider is unreachable');
      }
    }
    return reply.redirect(back.pathname + back.search, 303);
  });
}
