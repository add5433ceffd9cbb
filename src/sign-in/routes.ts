import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseCookie, stringifySetCookie } from 'cookie';
import { LRUCache } from 'lru-cache';
import * as client from 'openid-client';
import type { KeyRing } from '../crypto/keyring.js';
import type { AssertionSigner } from '../identity/assertion-signer.js';
import { GroupsUnavailableError, afterGroupsLimitError, isGroupsLimitError, resolveGroups } from '../identity/group-resolution.js';
import type { IdentitySettings, IdentityStore, Organization, User } from '../identity/model.js';
import {
  ORGANIZATION_SESSION_COOKIE,
  SIGN_IN_COOKIE,
  endOrganizationSession,
  endProviderSession,
  endUserSessions,
  readOrganizationSession,
  startOrganizationSession,
  type OrganizationSession,
} from '../identity/organization-session.js';
import { verifyPassword } from '../identity/passwords.js';
import { applyGroups } from '../identity/provisioning.js';
import type { Logger } from '../log.js';
import { ConsumedAuthorizations, beginAuthorization, openPendingAuthorization } from '../oidc/authorization-request.js';
import { completeAuthorization, providerErrorResponse, type CompletedAuthorization } from '../oidc/authorization-response.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { describe, type Provider, type ProviderCache } from '../oidc/provider-cache.js';
import { TokenRejected } from '../oidc/token-verification.js';
import { validateLogoutToken } from '../oidc/logout-token.js';
import { endSessionUrl } from '../oidc/rp-initiated-logout.js';
import { withoutGroupsScope } from '../okta/groups-claim.js';
import type { SessionStore } from '../sessions/store.js';
import { isCrossSite, sameSitePath, sameSitePathOfUrl } from '../web/same-site.js';
import type { SignInThrottle } from './throttle.js';
import { escapeHtml } from '../web/html.js';
import { prefersJson } from '../web/negotiation.js';

/** How long an organization session lasts (Konnect and Okta's defaults are of this order). */
const SESSION_LIFETIME_SECONDS = 8 * 3600;
const SIGN_IN_LIFETIME_SECONDS = 600;

export interface SignInDependencies {
  store: IdentityStore;
  sessions: SessionStore;
  keyRing: KeyRing;
  providers: ProviderCache;
  signer: AssertionSigner;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`): redirect URIs are built from it. Read on use: the port may be bound later. */
  publicUrl: () => string;
  /**
   * The console's public URL: sign-ins started without a page to return to land in the
   * console, and refusals of those sign-ins are explained on its sign-in page. Without
   * it, the proxy answers with its own minimal pages.
   */
  consoleUrl?: (() => string) | undefined;
  log: Logger;
  /** A user's groups from the Okta Management API (when the organization set an API token). */
  oktaGroups?: (settings: IdentitySettings, subject: string) => Promise<string[]>;
  /** Failed password sign-ins, counted in the store every process shares. */
  throttle: SignInThrottle;
}

/**
 * The organization sign-in endpoints on the proxy listener (issue 3): Okta sign-in
 * per organization with one callback for all, Okta-initiated sign-in, password
 * sign-in for native accounts, sign-out with optional single logout, back-channel
 * logout, and the JWKS that upstreams verify Gatehouse's assertions with.
 */
export function registerSignInRoutes(app: FastifyInstance, deps: SignInDependencies): void {
  const consumed = new ConsumedAuthorizations();
  /** Logout token ids seen in the last ten minutes (tokens older than that fail `exp`/`iat` anyway). */
  const seenLogoutTokens = new LRUCache<string, true>({ max: 100_000, ttl: 10 * 60_000 });
  const throttle = deps.throttle;
  const log = deps.log.child({ component: 'sign-in' });
  let resolved: { url: URL; secure: boolean; redirectUri: string } | undefined;
  const site = () => {
    if (!resolved) {
      const url = new URL(deps.publicUrl());
      resolved = { url, secure: url.protocol === 'https:' || !isLoopbackHost(url.hostname), redirectUri: new URL('/login/callback', url).href };
    }
    return resolved;
  };

  /** Where a sign-in with no page to return to ends: the console's home, else the proxy's root. */
  const defaultTarget = () => (deps.consoleUrl ? new URL('/home', deps.consoleUrl()).href : '/');
  /** A console URL for a target the pending sign-in carries, or undefined when the sign-in did not start from the console. */
  const consoleOrigin = () => (deps.consoleUrl ? new URL(deps.consoleUrl()).origin : undefined);
  const startedFromConsole = (target: string) => {
    const origin = consoleOrigin();
    return origin !== undefined && URL.canParse(target) && new URL(target).origin === origin;
  };
  /** The console's sign-in page for an organization, with `?error=` (fixed codes the console maps to messages) or `?signed_out`. */
  const consoleSignIn = (organization: Organization, extra: Record<string, string>) => {
    const url = new URL('/', deps.consoleUrl!());
    url.search = new URLSearchParams({ organization: organization.login_path, ...extra }).toString();
    return url.href;
  };
  /**
   * Refuses a sign-in: back to the console's sign-in page with the reason when the
   * sign-in started there, else the proxy's page (an application behind the gateway).
   */
  const refuse = (reply: FastifyReply, target: string, organization: Organization, code: string, status: number, title: string, message: string) =>
    startedFromConsole(target) ? reply.redirect(consoleSignIn(organization, { error: code }), 303) : page(reply, status, title, message);

  const cookie = (name: string, value: string, maxAge: number) =>
    stringifySetCookie(name, value, { path: '/', httpOnly: true, secure: site().secure, sameSite: 'lax', maxAge: Math.max(0, Math.floor(maxAge)) });

  async function loadOrganization(loginPath: string): Promise<Organization | undefined> {
    const normalized = loginPath.replace(/^\/+/, '').toLowerCase();
    return /^[a-z0-9_-]{3,64}$/.test(normalized) ? deps.store.organizationByLoginPath(normalized) : undefined;
  }

  async function providerFor(settings: IdentitySettings): Promise<Provider> {
    return deps.providers.get(settings.issuer);
  }

  /** The provider, or undefined (logged) when discovery fails: the caller answers with `unavailable`. */
  async function reachableProvider(organization: Organization, settings: IdentitySettings): Promise<Provider | undefined> {
    try {
      return await providerFor(settings);
    } catch (error) {
      log.error({ organization: organization.id, err: describe(error) }, 'the identity provider is unreachable');
      return undefined;
    }
  }

  const unavailable = (reply: FastifyReply) =>
    page(reply, 502, 'Sign-in is unavailable', 'The identity provider cannot be reached; try again shortly.');

  function clientFor(provider: Provider, settings: IdentitySettings): client.Configuration {
    return provider.client({ clientId: settings.client_id, clientSecret: settings.client_secret });
  }

  async function startSignIn(
    reply: FastifyReply,
    organization: Organization,
    settings: IdentitySettings,
    options: { target: string; loginHint?: string | undefined; withoutGroupsScope?: boolean },
  ) {
    const provider = await reachableProvider(organization, settings);
    if (!provider) return unavailable(reply);
    const scopes = options.withoutGroupsScope ? withoutGroupsScope(settings.scopes) : settings.scopes;
    const started = await beginAuthorization({
      target: options.target,
      configuration: clientFor(provider, settings),
      issuer: provider.issuer,
      clientId: settings.client_id,
      redirectUri: site().redirectUri,
      scopes,
      keyRing: deps.keyRing,
      lifetimeSeconds: SIGN_IN_LIFETIME_SECONDS,
      ...(options.loginHint ? { extraParameters: { login_hint: options.loginHint } } : {}),
      context: { organization: organization.id, ...(options.withoutGroupsScope ? { without_groups: '1' } : {}) },
    });
    return reply
      .header('set-cookie', cookie(SIGN_IN_COOKIE, started.cookieValue, SIGN_IN_LIFETIME_SECONDS))
      .header('cache-control', 'no-store')
      .redirect(started.location, 302);
  }

  /** A new organization session for a user who just proved who they are; the sealed cookie value. */
  function startSession(
    organization: Organization,
    user: User,
    how: Pick<OrganizationSession, 'method' | 'groups' | 'id_token' | 'provider_sid'>,
  ): Promise<string> {
    const now = Date.now() / 1000;
    return startOrganizationSession(deps.sessions, deps.keyRing, {
      v: 1,
      organization_id: organization.id,
      organization_name: organization.name,
      login_path: organization.login_path,
      user_id: user.id,
      email: user.email,
      name: user.name,
      roles: user.roles.map((role) => role.role_name),
      ...how,
      created_at: now,
      expires_at: now + SESSION_LIFETIME_SECONDS,
    });
  }

  async function ssoReady(organization: Organization): Promise<IdentitySettings | undefined> {
    if (!organization.sso_enabled) return undefined;
    return deps.store.identitySettings(organization.id);
  }

  app.register(async (scope) => {
    // Form posts (password sign-in, Okta-initiated sign-in, back-channel logout), parsed
    // with URLSearchParams; only these routes see bodies, the proxy streams its own.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.get('/.well-known/jwks.json', async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(deps.signer.jwks());
    });

    scope.get<{ Params: { loginPath: string }; Querystring: Record<string, string> }>('/login/:loginPath', async (request, reply) => {
      const organization = await loadOrganization(request.params.loginPath);
      if (!organization) return page(reply, 404, 'Unknown organization', 'No organization signs in at this address; check the link.');
      const settings = await ssoReady(organization);
      // Okta's sign-out sends the browser back to the registered post-logout URI
      // (`/login/{login_path}`) with the `state` Gatehouse gave it; sign-in responses go
      // to /login/callback, never here. Starting a new sign-in would land on Okta's form.
      const signedOut = request.query.signed_out !== undefined || request.query.state !== undefined;
      // No page to return to: the sign-in is for the console, whose sign-in page names the organization.
      if (request.query.return_to === undefined && deps.consoleUrl && (!settings || signedOut)) {
        return reply.header('cache-control', 'no-store').redirect(consoleSignIn(organization, signedOut ? { signed_out: '' } : {}), 303);
      }
      const target = sameSitePath(request.query.return_to) ?? defaultTarget();
      if (!settings || signedOut) return signInPage(reply, organization, { sso: settings !== undefined, signedOut, target });
      return startSignIn(reply, organization, settings, { target, loginHint: request.query.login_hint });
    });

    // OpenID Connect Core section 4: Okta's dashboard tile sends the browser here.
    const initiate = async (request: FastifyRequest<{ Params: { loginPath: string } }>, reply: FastifyReply) => {
      const parameters = { ...(request.query as Record<string, string>), ...((request.body as Record<string, string>) ?? {}) };
      if (parameters.id_token !== undefined) {
        return page(reply, 400, 'Not supported', 'Sign-in with a posted ID token (implicit flow) is not supported; set the app to use the authorization code flow.');
      }
      const organization = await loadOrganization(request.params.loginPath);
      if (!organization) return page(reply, 404, 'Unknown organization', 'No organization signs in at this address; check the link.');
      const settings = await ssoReady(organization);
      if (!settings) return page(reply, 400, 'Single sign-on is not enabled', `${organization.name} does not sign in with Okta yet.`);
      if (!parameters.iss || !acceptedInitiatorIssuers(settings).includes(parameters.iss.replace(/\/$/, ''))) {
        await audit(organization, 'sign_in.initiate', 'failure', 'the iss parameter does not name this organization’s identity provider');
        return page(reply, 400, 'Sign-in refused', 'This sign-in was started by an identity provider this organization does not use.');
      }
      let target = defaultTarget();
      if (parameters.target_link_uri) {
        const checked = sameSitePathOfUrl(parameters.target_link_uri, site().url);
        if (checked === undefined) {
          await audit(organization, 'sign_in.initiate', 'failure', 'target_link_uri points to another site');
          return page(reply, 400, 'Sign-in refused', 'The page to open after sign-in is on another site.');
        }
        target = checked;
      }
      return startSignIn(reply, organization, settings, { target, loginHint: parameters.login_hint });
    };
    scope.get('/login/:loginPath/initiate', initiate);
    scope.post('/login/:loginPath/initiate', initiate);

    scope.get<{ Querystring: Record<string, string> }>('/login/callback', async (request, reply) => {
      const clear = cookie(SIGN_IN_COOKIE, '', 0);
      reply.header('set-cookie', clear).header('cache-control', 'no-store');
      const query = new URLSearchParams(request.query);
      const pending = await openPendingAuthorization(cookiesOf(request)[SIGN_IN_COOKIE], deps.keyRing);
      if (!pending || !consumed.consume(pending)) {
        return page(reply, 401, 'Sign-in could not be completed', 'It took too long, was already used, or cookies are blocked. Start again from your organization’s sign-in link.');
      }
      const organization = await deps.store.organization(pending.context.organization ?? '');
      const settings = organization ? await ssoReady(organization) : undefined;
      if (!organization || !settings) return page(reply, 400, 'Sign-in could not be completed', 'Single sign-on is not enabled for this organization.');

      const provider = await reachableProvider(organization, settings);
      if (!provider) return unavailable(reply);
      if (provider.issuer !== pending.issuer || settings.client_id !== pending.client_id) {
        return page(reply, 401, 'Sign-in could not be completed', 'The organization’s identity settings changed during the sign-in; start again.');
      }
      let completed: CompletedAuthorization;
      try {
        completed = await completeAuthorization(provider, clientFor(provider, settings), pending, query);
      } catch (error) {
        const oauthError = providerErrorResponse(error);
        if (oauthError && isGroupsLimitError(oauthError.error, oauthError.error_description)) {
          // Okta refused a groups claim over its 100-group limit: ask again without the
          // groups scope and read the groups from the API, or say what the admin must change.
          const step = afterGroupsLimitError(settings, { retriedWithoutGroupsScope: Boolean(pending.context.without_groups) });
          if (step.action === 'retry-without-groups-scope') {
            log.info({ organization: organization.id }, 'groups claim over Okta’s limit; signing in again without it');
            return startSignIn(reply, organization, settings, { target: pending.target, withoutGroupsScope: true });
          }
          await audit(organization, 'sign_in', 'failure', step.reason, { refusal: step.code });
          log.info({ organization: organization.id, refusal: step.code }, 'sign-in refused: groups claim over Okta’s limit');
          return refuse(reply, pending.target, organization, step.code, 403, 'Sign-in refused', step.reason);
        }
        const reason = oauthError ? `${oauthError.error}${oauthError.error_description ? `: ${oauthError.error_description}` : ''}` : describe(error);
        await audit(organization, 'sign_in', 'failure', reason);
        log.info({ organization: organization.id, reason }, 'sign-in failed');
        return refuse(
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
        await audit(organization, 'sign_in', 'failure', reason);
        return refuse(reply, pending.target, organization, 'groups-unavailable', 502, 'Sign-in failed', reason);
      }
      const email = stringClaim(idClaims, settings.login_claim) ?? stringClaim(idClaims, 'email') ?? stringClaim(userinfo, settings.login_claim) ?? stringClaim(userinfo, 'email');
      if (!email) {
        await audit(organization, 'sign_in', 'failure', 'no email in the tokens');
        return refuse(reply, pending.target, organization, 'no-email', 502, 'Sign-in failed', `The identity provider sent no "${settings.login_claim}" or "email" claim.`);
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
          await audit(organization, 'sign_in', 'failure', 'another account of this organization has the same email', { subject });
          return refuse(reply, pending.target, organization, 'email-taken', 409, 'Sign-in refused', `Another account in ${organization.name} already uses this email; ask an administrator.`);
        }
        throw error;
      }
      if (!outcome.admitted) {
        await audit(organization, 'sign_in', 'failure', 'no Okta group of this user is mapped to a role', { email });
        return refuse(
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
        await audit(organization, 'sign_in', 'failure', 'the account is deactivated', { email });
        return refuse(
          reply,
          pending.target,
          organization,
          'deactivated',
          403,
          'Account deactivated',
          `Your account in ${organization.name} is deactivated; ask an administrator of ${organization.name} to reactivate it.`,
        );
      }
      const handle = await startSession(organization, outcome.user, {
        method: 'sso',
        groups: groups.groups,
        id_token: tokens.id_token,
        provider_sid: typeof idClaims.sid === 'string' ? idClaims.sid : undefined,
      });
      await deps.store.audit({
        organization_id: organization.id,
        actor: { type: 'user', id: outcome.user.id, label: outcome.user.email },
        action: 'sign_in',
        target: { type: 'user', id: outcome.user.id },
        outcome: 'success',
        details: { method: 'sso', roles: outcome.user.roles.map((role) => role.role_name), groups_source: groups.source, created: outcome.created },
      });
      return reply.header('set-cookie', [clear, cookie(ORGANIZATION_SESSION_COOKIE, handle, SESSION_LIFETIME_SECONDS)]).redirect(pending.target, 302);
    });

    scope.post<{ Params: { loginPath: string }; Body: Record<string, unknown> }>('/login/:loginPath/password', async (request, reply) => {
      const organization = await loadOrganization(request.params.loginPath);
      if (!organization) return answer(request, reply, 404, 'GH-SIGN-IN-UNKNOWN-ORGANIZATION', 'No organization signs in at this address.');
      if (isCrossSite(request.headers, request.headers.host)) return answer(request, reply, 403, 'GH-SIGN-IN-CROSS-SITE', 'Sign-in must start from this site.');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
      const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
      const throttleKey = `${organization.id}:${email.toLowerCase()}`;
      const throttled = (wait: number) => {
        reply.header('retry-after', String(wait));
        return answer(request, reply, 429, 'GH-SIGN-IN-THROTTLED', `Too many failed sign-ins; try again in ${wait} seconds.`);
      };
      // A locked account or address costs a read, not a write.
      const wait = await throttle.retryAfter(throttleKey, request.ip);
      if (wait > 0) return throttled(wait);
      // Counted before the password is checked, so concurrent guesses (in any worker)
      // cannot all slip under the limit: one that the count shows went past it is
      // refused like a locked one. A success takes the count back.
      const over = await throttle.fail(throttleKey, request.ip);
      if (over > 0) return throttled(over);
      const user = email ? await deps.store.userByEmail(organization.id, email) : undefined;
      const hash = user ? await deps.store.passwordHash(organization.id, user.id) : undefined;
      // Verify even without a user, so timing does not tell which emails exist.
      const valid = await verifyPassword(password, hash);
      if (!user || !hash || !valid) {
        // Only an existing account's email goes to the audit log: a password typed into the email field must not.
        await audit(organization, 'sign_in', 'failure', 'wrong email or password', { method: 'password', ...(user ? { email: user.email } : {}) });
        return answer(request, reply, 401, 'GH-SIGN-IN-INVALID', 'Wrong email or password.');
      }
      if (user.status !== 'active') {
        await audit(organization, 'sign_in', 'failure', 'the account is deactivated', { email, method: 'password' });
        return answer(request, reply, 403, 'GH-SIGN-IN-DEACTIVATED', 'This account is deactivated; ask an administrator of your organization.');
      }
      if (organization.sso_enabled && organization.owner_user_id !== user.id) {
        await audit(organization, 'sign_in', 'failure', 'password sign-in is off: the organization signs in with Okta', { email, method: 'password' });
        const url = new URL(`/login/${organization.login_path}`, site().url).href;
        return answer(request, reply, 403, 'GH-SIGN-IN-SSO-ONLY', `${organization.name} signs in with Okta: use ${url}`, { login_url: url });
      }
      await throttle.succeed(throttleKey, request.ip);
      const handle = await startSession(organization, user, { method: 'password', groups: [] });
      await deps.store.recordSignIn(organization.id, user.id);
      await deps.store.audit({
        organization_id: organization.id,
        actor: { type: 'user', id: user.id, label: user.email },
        action: 'sign_in',
        target: { type: 'user', id: user.id },
        outcome: 'success',
        details: { method: 'password' },
      });
      reply.header('set-cookie', cookie(ORGANIZATION_SESSION_COOKIE, handle, SESSION_LIFETIME_SECONDS));
      const target = sameSitePath(body.return_to) ?? defaultTarget();
      if (wantsJson(request)) return reply.send({ message: 'Signed in', user: { id: user.id, email: user.email, roles: user.roles.map((role) => role.role_name) } });
      return reply.redirect(target, 303);
    });

    scope.post('/logout', async (request, reply) => {
      if (isCrossSite(request.headers, request.headers.host)) return answer(request, reply, 403, 'GH-SIGN-OUT-CROSS-SITE', 'Sign-out must start from this site.');
      const current = await readOrganizationSession(deps.sessions, deps.keyRing, cookiesOf(request)[ORGANIZATION_SESSION_COOKIE]);
      reply.header('set-cookie', cookie(ORGANIZATION_SESSION_COOKIE, '', 0)).header('cache-control', 'no-store');
      if (!current) return reply.redirect('/', 303);
      const session = current.session;
      await endOrganizationSession(deps.sessions, current.sid);
      const organization = await deps.store.organization(session.organization_id);
      await deps.store.audit({
        organization_id: session.organization_id,
        actor: { type: 'user', id: session.user_id, label: session.email },
        action: 'sign_out',
        target: { type: 'user', id: session.user_id },
        outcome: 'success',
      });
      const back = new URL(`/login/${session.login_path}?signed_out`, site().url);
      const settings = organization ? await deps.store.identitySettings(organization.id) : undefined;
      if (settings?.single_logout && session.id_token) {
        try {
          const provider = await providerFor(settings);
          const atProvider = endSessionUrl(provider, clientFor(provider, settings), {
            idTokenHint: session.id_token,
            postLogoutRedirectUri: new URL(`/login/${session.login_path}`, site().url).href,
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

    // OpenID Connect Back-Channel Logout 1.0: the provider tells us a session ended.
    scope.post<{ Params: { loginPath: string }; Body: Record<string, string> }>('/login/:loginPath/backchannel-logout', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const organization = await loadOrganization(request.params.loginPath);
      const settings = organization ? await deps.store.identitySettings(organization.id) : undefined;
      const token = (request.body as Record<string, string> | undefined)?.logout_token;
      if (!organization || !settings || typeof token !== 'string') {
        return reply.code(400).send({ error: 'invalid_request', error_description: 'a logout_token is required' });
      }
      try {
        const provider = await providerFor(settings);
        // Anyone can post here: an unknown key fetches the provider's keys at most once per cool-down.
        const logout = await validateLogoutToken(provider, token, { clientId: settings.client_id });
        // Each logout token is used once (the spec's optional replay check).
        const replayKey = `${organization.id}#${logout.jti}`;
        if (seenLogoutTokens.has(replayKey)) throw new TokenRejected('the logout token was already used');
        seenLogoutTokens.set(replayKey, true);
        let ended = 0;
        if (logout.sid !== undefined) ended += await endProviderSession(deps.sessions, organization.id, logout.sid);
        if (logout.sub !== undefined && logout.sid === undefined) {
          const user = await deps.store.userBySubject(organization.id, provider.issuer, logout.sub);
          if (user) ended += await endUserSessions(deps.sessions, user.id);
        }
        await audit(organization, 'sign_out.backchannel', 'success', null, { sessions_ended: ended });
        return reply.code(200).send();
      } catch (error) {
        log.info({ reason: describe(error) }, 'back-channel logout token rejected');
        return reply.code(400).send({ error: 'invalid_request', error_description: 'the logout token is not valid' });
      }
    });
  });

  async function audit(organization: Organization, action: string, outcome: 'success' | 'failure', reason: string | null, details?: Record<string, unknown>) {
    await deps.store.audit({ organization_id: organization.id, actor: { type: 'system', label: 'sign-in' }, action, outcome, reason, details: details ?? null });
  }
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

function stringClaim(claims: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = claims?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function cookiesOf(request: FastifyRequest): Record<string, string | undefined> {
  return request.headers.cookie ? parseCookie(request.headers.cookie) : {};
}

function wantsJson(request: FastifyRequest): boolean {
  return prefersJson(request.headers.accept) || (request.headers['content-type'] ?? '').includes('json');
}

function answer(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  if (wantsJson(request)) return reply.code(status).send({ message, error_code: code, ...extra });
  return page(reply, status, status === 429 ? 'Please wait' : 'Sign-in refused', message);
}

function page(reply: FastifyReply, status: number, title: string, message: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></main></body></html>`,
    );
}

function signInPage(reply: FastifyReply, organization: Organization, options: { sso: boolean; signedOut: boolean; target: string }) {
  const name = escapeHtml(organization.name);
  const path = escapeHtml(organization.login_path);
  const target = escapeHtml(options.target);
  const sso = options.sso ? `<p><a href="/login/${path}?return_to=${encodeURIComponent(options.target)}">Sign in with Okta</a></p>` : '';
  const notice = options.signedOut ? '<p role="status">You are signed out.</p>' : '';
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${name}</title></head><body><main><h1>Sign in to ${name}</h1>${notice}${sso}` +
        `<form method="post" action="/login/${path}/password"><input type="hidden" name="return_to" value="${target}">` +
        `<label>Email <input type="email" name="email" autocomplete="username" required></label>` +
        `<label>Password <input type="password" name="password" autocomplete="current-password" required></label>` +
        `<button type="submit">Sign in</button></form></main></body></html>`,
    );
}
