import { LRUCache } from 'lru-cache';
import { ORGANIZATION_SESSION_COOKIE, readOrganizationSession, type OrganizationSession } from '../../../identity/organization-session.js';
import { type PluginDefinition, type PluginHandler, type PluginResponse, type RequestContext } from '../../plugin.js';
import { readCookie } from '../openid-connect/cookies.js';
import { errorResponse, isApiClient, redirect } from '../openid-connect/responses.js';
import { sameSitePathOfRequest } from '../../../web/same-site.js';
import { ssoConfigSchema, type SsoConfig } from './schema.js';
import { ssoForm } from './form.js';
import { PLUGIN_FORBIDDEN, PLUGIN_UNAUTHORIZED, SSO_ORGANIZATION_MISSING } from '../../error-codes.js';

const HEADERS = ['x-gatehouse-user', 'x-gatehouse-email', 'x-gatehouse-roles', 'x-gatehouse-groups', 'x-gatehouse-assertion'] as const;

/**
 * Protects a route with an organization's sign-in. The upstream receives who the
 * person is (`X-Gatehouse-User`, `-Email`, `-Roles`, `-Groups`) and a short-lived JWT
 * signed by Gatehouse (`X-Gatehouse-Assertion`, keys at `/.well-known/jwks.json`), so
 * the application gets Okta sign-in and roles without writing any code. Everything
 * comes from memory: the session record and the organization directory.
 */
export const ssoPlugin: PluginDefinition<SsoConfig> = {
  name: 'sso',
  priority: 1040,
  configSchema: ssoConfigSchema,
  secretFields: [],
  identityHeaders: { always: HEADERS },
  form: ssoForm,
  cookieNames() {
    return [ORGANIZATION_SESSION_COOKIE];
  },
  create(config, context): PluginHandler {
    const identity = context.identity;
    if (!identity) throw new Error('the sso plugin needs the identity services of the runtime');
    const required = config.roles_required && config.roles_required.length > 0 ? new Set(config.roles_required) : undefined;
    // Assertions are cached per session and reused until shortly before they expire:
    // signing once per session and minute, not once per request.
    const assertions = new LRUCache<string, { jwt: string; until: number }>({ max: 100_000 });

    return {
      async access(ctx: RequestContext): Promise<PluginResponse | void> {
        const organization = identity.organization(config.organization);
        if (!organization) {
          ctx.log.error({ organization: config.organization }, 'the sso plugin names an organization that does not exist');
          // Closed, not open: the route serves nobody until its configuration names an organization again.
          return errorResponse(ctx.request, 503, SSO_ORGANIZATION_MISSING, 'This application is unavailable: the organization it signs in with does not exist.');
        }
        const found = await readOrganizationSession(context.sessions, context.keyRing, readCookie(ctx.request, ORGANIZATION_SESSION_COOKIE));
        if (!found || found.session.organization_id !== organization.id) {
          if (isApiClient(ctx.request)) {
            return errorResponse(ctx.request, 401, PLUGIN_UNAUTHORIZED, 'Unauthorized', { 'www-authenticate': 'Cookie realm="gatehouse"' });
          }
          const target = encodeURIComponent(sameSitePathOfRequest(ctx.request.url));
          return redirect(`/login/${organization.login_path}?return_to=${target}`);
        }
        const session = found.session;
        if (required && !session.roles.some((role) => required.has(role))) {
          return errorResponse(ctx.request, 403, PLUGIN_FORBIDDEN, 'Forbidden');
        }
        ctx.credential = session.user_id;
        const headers = ctx.upstreamHeaders;
        headers.set('x-gatehouse-user', session.user_id);
        headers.set('x-gatehouse-email', session.email);
        headers.set('x-gatehouse-roles', session.roles.join(', '));
        headers.set('x-gatehouse-groups', session.groups.join(', '));
        headers.set('x-gatehouse-assertion', await assertionFor(found.sid, session));
      },
    };

    async function assertionFor(sid: string, session: OrganizationSession): Promise<string> {
      const now = Date.now() / 1000;
      const cached = assertions.get(sid);
      if (cached && cached.until > now) return cached.jwt;
      const jwt = await identity!.signer.sign(
        {
          email: session.email,
          name: session.name,
          roles: session.roles,
          groups: session.groups,
          org: session.organization_id,
          org_name: session.organization_name,
        },
        { subject: session.user_id, audience: config.assertion_audience, ttlSeconds: config.assertion_ttl },
      );
      // Hand out a cached assertion only while it has at least half its life left.
      assertions.set(sid, { jwt, until: now + config.assertion_ttl / 2 });
      return jwt;
    }
  },
};
