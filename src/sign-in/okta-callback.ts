import type { FastifyInstance } from 'fastify';
import { GroupsUnavailableError, afterGroupsLimitError, isGroupsLimitError, resolveGroups } from '../identity/group-resolution.js';
import { SIGN_IN_COOKIE } from '../identity/organization-session.js';
import { applyGroups } from '../identity/provisioning.js';
import { ConsumedAuthorizations, openPendingAuthorization } from '../oidc/authorization-request.js';
import { completeAuthorization, providerErrorResponse, type CompletedAuthorization } from '../oidc/authorization-response.js';
import { describe } from '../oidc/provider-cache.js';
import { cookiesOf, type SignInContext } from './context.js';
import { startSignIn } from './okta-start.js';
import { page, unavailable } from './pages.js';

/**
 * `/login/callback`, where Okta sends every organization's sign-ins back: the
 * authorization response completed (oidc/completeAuthorization), the groups read (from
 * the ID token, userinfo or Okta's API), the account provisioned with the roles its
 * groups map to, and an organization session started.
 */
export function registerOktaCallback(scope: FastifyInstance, context: SignInContext): void {
  const { deps, log } = context;
  const consumed = new ConsumedAuthorizations();

  scope.get<{ Querystring: Record<string, string> }>('/login/callback', async (request, reply) => {
    const clear = context.cookie(SIGN_IN_COOKIE, '', 0);
    reply.header('set-cookie', clear).header('cache-control', 'no-store');
    const query = new URLSearchParams(request.query);
    const pending = await openPendingAuthorization(cookiesOf(request)[SIGN_IN_COOKIE], deps.keyRing);
    if (!pending || !consumed.consume(pending)) {
      return page(reply, 401, 'Sign-in could not be completed', 'It took too long, was already used, or cookies are blocked. Start again from your organization’s sign-in link.');
    }
    const organization = await deps.store.organization(pending.context.organization ?? '');
    const settings = organization ? await context.ssoReady(organization) : undefined;
    if (!organization || !settings) return page(reply, 400, 'Sign-in could not be completed', 'Single sign-on is not enabled for this organization.');

    const provider = await context.reachableProvider(organization, settings);
    if (!provider) return unavailable(reply);
    if (provider.issuer !== pending.issuer || settings.client_id !== pending.client_id) {
      return page(reply, 401, 'Sign-in could not be completed', 'The organization’s identity settings changed during the sign-in; start again.');
    }
    let completed: CompletedAuthorization;
    try {
      completed = await completeAuthorization(provider, context.clientFor(provider, settings), pending, query);
    } catch (error) {
      const oauthError = providerErrorResponse(error);
      if (oauthError && isGroupsLimitError(oauthError.error, oauthError.error_description)) {
        // Okta refused a groups claim over its 100-group limit: ask again without the
        // groups scope and read the groups from the API, or say what the admin must change.
        const step = afterGroupsLimitError(settings, { retriedWithoutGroupsScope: Boolean(pending.context.without_groups) });
        if (step.action === 'retry-without-groups-scope') {
          log.info({ organization: organization.id }, 'groups claim over Okta’s limit; signing in again without it');
          return startSignIn(context, reply, organization, settings, { target: pending.target, withoutGroupsScope: true });
        }
        await context.audit(organization, 'sign_in', 'failure', step.reason, { refusal: step.code });
        log.info({ organization: organization.id, refusal: step.code }, 'sign-in refused: groups claim over Okta’s limit');
        return context.refuse(reply, pending.target, organization, step.code, 403, 'Sign-in refused', step.reason);
      }
      const reason = oauthError ? `${oauthError.error}${oauthError.error_description ? `: ${oauthError.error_description}` : ''}` : describe(error);
      await context.audit(organization, 'sign_in', 'failure', reason);
      log.info({ organization: organization.id, reason }, 'sign-in failed');
      return context.refuse(
        reply,
        pending.target,
        organization,
        oauthError?.error === 'access_denied' ? 'access-denied' : 'failed',
        401,
        'Sign-in failed',
        oauthError ? `The identity provider refused the sign-in (${oauthError.error}).` : 'The identity provider’s answer could not be validated.',
      );
    }

    const { tokens, idClaims, subject } = completed;
    let userinfo: Record<string, unknown> | undefined;
    const fetchUserinfo = completed.userinfo;
    const loadUserinfo = async () => {
      userinfo ??= await fetchUserinfo!();
      return userinfo;
    };
    let groups: { groups: string[]; source: string };
    try {
      groups = await resolveGroups({
        idClaims,
        claim: settings.groups_claim,
        ...(fetchUserinfo ? { userinfo: loadUserinfo } : {}),
        ...(settings.api_token && deps.oktaGroups ? { oktaApi: () => deps.oktaGroups!(settings, subject) } : {}),
      });
    } catch (error) {
      const reason = error instanceof GroupsUnavailableError ? error.message : `the groups could not be read: ${describe(error)}`;
      await context.audit(organization, 'sign_in', 'failure', reason);
      return context.refuse(reply, pending.target, organization, 'groups-unavailable', 502, 'Sign-in failed', reason);
    }
    const email = stringClaim(idClaims, settings.login_claim) ?? stringClaim(idClaims, 'email') ?? stringClaim(userinfo, settings.login_claim) ?? stringClaim(userinfo, 'email');
    if (!email) {
      await context.audit(organization, 'sign_in', 'failure', 'no email in the tokens');
      return context.refuse(reply, pending.target, organization, 'no-email', 502, 'Sign-in failed', `The identity provider sent no "${settings.login_claim}" or "email" claim.`);
    }
    let outcome: Awaited<ReturnType<typeof applyGroups>>;
    try {
      outcome = await applyGroups(
        deps,
        organization,
        {
          issuer: provider.issuer,
          subject,
          email,
          name: stringClaim(idClaims, 'name') ?? stringClaim(userinfo, 'name') ?? null,
          groups: groups.groups,
          groups_source: groups.source,
        },
        { signIn: true },
      );
    } catch (error) {
      if ((error as { status?: number }).status === 409) {
        // An account with this email already exists (a native one): never merged by email.
        await context.audit(organization, 'sign_in', 'failure', 'another account of this organization has the same email', { subject });
        return context.refuse(reply, pending.target, organization, 'email-taken', 409, 'Sign-in refused', `Another account in ${organization.name} already uses this email; ask an administrator.`);
      }
      throw error;
    }
    if (!outcome.admitted) {
      await context.audit(organization, 'sign_in', 'failure', 'no Okta group of this user is mapped to a role', { email });
      return context.refuse(
        reply,
        pending.target,
        organization,
        'no-mapped-group',
        403,
        'No access',
        `Your Okta groups give you no role in ${organization.name}. Ask an administrator of ${organization.name} to add you to a mapped group.`,
      );
    }
    if (outcome.user.status !== 'active') {
      // Deactivated accounts stay so until an administrator reactivates them, even when
      // the person is back in a mapped group.
      await context.audit(organization, 'sign_in', 'failure', 'the account is deactivated', { email });
      return context.refuse(
        reply,
        pending.target,
        organization,
        'deactivated',
        403,
        'Account deactivated',
        `Your account in ${organization.name} is deactivated; ask an administrator of ${organization.name} to reactivate it.`,
      );
    }
    const sessionCookie = await context.startSession(organization, outcome.user, {
      method: 'sso',
      groups: groups.groups,
      id_token: tokens.id_token,
      provider_sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
    });
    await context.auditUser(outcome.user, organization.id, 'sign_in', {
      method: 'sso',
      roles: outcome.user.roles.map((role) => role.role_name),
      groups_source: groups.source,
      created: outcome.created,
    });
    return reply.header('set-cookie', [clear, sessionCookie]).redirect(pending.target, 302);
  });
}

function stringClaim(claims: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = claims?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
