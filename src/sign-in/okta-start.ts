import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IdentitySettings, Organization } from '../model/identity.js';
import { SIGN_IN_COOKIE } from '../identity/organization-session.js';
import { beginAuthorization } from '../oidc/authorization-request.js';
import { withoutGroupsScope } from '../okta/groups-claim.js';
import { sameSitePath, sameSitePathOfUrl } from '../web/same-site.js';
import type { SignInContext } from './context.js';
import { page, signInPage, unavailable } from './pages.js';

/** How long a browser may take at Okta's sign-in page. */
const SIGN_IN_LIFETIME_SECONDS = 600;

/**
 * The start of an Okta sign-in: at the organization's sign-in address
 * (`/login/{login_path}`), or initiated by Okta (`/login/{login_path}/initiate`, the
 * dashboard tile); both send the browser to Okta with a sealed sign-in cookie.
 */
export function registerSignInStart(scope: FastifyInstance, context: SignInContext): void {
  const { deps } = context;
  scope.get<{ Params: { loginPath: string }; Querystring: Record<string, string> }>('/login/:loginPath', async (request, reply) => {
    const organization = await context.loadOrganization(request.params.loginPath);
    if (!organization) return page(reply, 404, 'Unknown organization', 'No organization signs in at this address; check the link.');
    const settings = await context.ssoReady(organization);
    // Okta's sign-out sends the browser back to the registered post-logout URI
    // (`/login/{login_path}`) with the `state` Gatehouse gave it; sign-in responses go
    // to /login/callback, never here. Starting a new sign-in would land on Okta's form.
    const signedOut = request.query.signed_out !== undefined || request.query.state !== undefined;
    // No page to return to: the sign-in is for the console, whose sign-in page names the organization.
    if (request.query.return_to === undefined && deps.consoleUrl && (!settings || signedOut)) {
      return reply.header('cache-control', 'no-store').redirect(context.consoleSignIn(organization, signedOut ? { signed_out: '' } : {}), 303);
    }
    const target = sameSitePath(request.query.return_to) ?? context.defaultTarget();
    if (!settings || signedOut) return signInPage(reply, organization, { sso: settings !== undefined, signedOut, target });
    return startSignIn(context, reply, organization, settings, { target, loginHint: request.query.login_hint });
  });

  // OpenID Connect Core section 4: Okta's dashboard tile sends the browser here.
  const initiate = async (request: FastifyRequest<{ Params: { loginPath: string } }>, reply: FastifyReply) => {
    const parameters = { ...(request.query as Record<string, string>), ...((request.body as Record<string, string>) ?? {}) };
    if (parameters.id_token !== undefined) {
      return page(reply, 400, 'Not supported', 'Sign-in with a posted ID token (implicit flow) is not supported; set the app to use the authorization code flow.');
    }
    const organization = await context.loadOrganization(request.params.loginPath);
    if (!organization) return page(reply, 404, 'Unknown organization', 'No organization signs in at this address; check the link.');
    const settings = await context.ssoReady(organization);
    if (!settings) return page(reply, 400, 'Single sign-on is not enabled', `${organization.name} does not sign in with Okta yet.`);
    if (!parameters.iss || !acceptedInitiatorIssuers(settings).includes(parameters.iss.replace(/\/$/, ''))) {
      await context.audit(organization, 'sign_in.initiate', 'failure', 'the iss parameter does not name this organization’s identity provider');
      return page(reply, 400, 'Sign-in refused', 'This sign-in was started by an identity provider this organization does not use.');
    }
    let target = context.defaultTarget();
    if (parameters.target_link_uri) {
      const checked = sameSitePathOfUrl(parameters.target_link_uri, context.site().url);
      if (checked === undefined) {
        await context.audit(organization, 'sign_in.initiate', 'failure', 'target_link_uri points to another site');
        return page(reply, 400, 'Sign-in refused', 'The page to open after sign-in is on another site.');
      }
      target = checked;
    }
    return startSignIn(context, reply, organization, settings, { target, loginHint: parameters.login_hint });
  };
  scope.get('/login/:loginPath/initiate', initiate);
  scope.post('/login/:loginPath/initiate', initiate);
}

/** Sends the browser to the organization's provider to sign in; the callback (okta-callback.ts) completes it. */
export async function startSignIn(
  context: SignInContext,
  reply: FastifyReply,
  organization: Organization,
  settings: IdentitySettings,
  options: { target: string; loginHint?: string | undefined; withoutGroupsScope?: boolean },
) {
  const provider = await context.reachableProvider(organization, settings);
  if (!provider) return unavailable(reply);
  const scopes = options.withoutGroupsScope ? withoutGroupsScope(settings.scopes) : settings.scopes;
  const started = await beginAuthorization({
    target: options.target,
    configuration: context.clientFor(provider, settings),
    issuer: provider.issuer,
    clientId: settings.client_id,
    redirectUri: context.site().redirectUri,
    scopes,
    keyRing: context.deps.keyRing,
    lifetimeSeconds: SIGN_IN_LIFETIME_SECONDS,
    ...(options.loginHint ? { extraParameters: { login_hint: options.loginHint } } : {}),
    context: { organization: organization.id, ...(options.withoutGroupsScope ? { without_groups: '1' } : {}) },
  });
  return reply
    .header('set-cookie', context.cookie(SIGN_IN_COOKIE, started.cookieValue, SIGN_IN_LIFETIME_SECONDS))
    .header('cache-control', 'no-store')
    .redirect(started.location, 302);
}

/** The `iss` values Okta may send to the initiate login URI: the issuer, or the org URL (Okta sends the org URL even for custom servers). */
function acceptedInitiatorIssuers(settings: IdentitySettings): string[] {
  const issuers = [settings.issuer.replace(/\/$/, '')];
  try {
    issuers.push(new URL(settings.issuer).origin);
  } catch {
    // the issuer was validated when saved
  }
  return issuers;
}
