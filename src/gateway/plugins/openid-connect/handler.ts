import { ConsumedAuthorizations } from '../../../oidc/authorization-request.js';
import { describe, type Provider, type ProviderCache } from '../../../oidc/provider-cache.js';
import { CONSUMER_HEADERS, setAuthenticatedConsumer } from '../../authentication.js';
import type { ConsumerEntity } from '../../../model/gateway.js';
import type { PluginCreateContext, PluginDefinition, PluginHandler, PluginResponse, RequestContext } from '../../plugin.js';
import { AuthorizationCodeFlow, isAuthorizationResponse } from './authorization-code.js';
import { PresentedTokens } from './bearer.js';
import { claimString, claimValues, satisfiesRequirement, type ClaimSources } from './claims.js';
import type { CookieSettings } from './cookies.js';
import { openIdConnectForm } from './form.js';
import { sessionIdentity, type Failure, type Identity } from './identity.js';
import { isLogout, signOut } from './logout.js';
import { RelyingParty } from './relying-party.js';
import { errorResponse, isApiClient, redirect } from './responses.js';
import { openIdConnectConfigSchema, type AuthMethod, type OpenIdConnectConfig } from './schema.js';
import { BrowserSessions } from './session.js';
import { oidcSessionPacking } from './session-packing.js';
import { SESSION_PREFIX } from './session-record.js';
import { TokenAttempts } from './token-attempts.js';
import { UpstreamHeaders, configuredIdentityHeaders } from './upstream-headers.js';
import { OIDC_PROVIDER_UNAVAILABLE, PLUGIN_FORBIDDEN, PLUGIN_MISCONFIGURED, PLUGIN_UNAUTHORIZED } from '../../error-codes.js';

const PROVIDER_UNAVAILABLE = 'The identity provider cannot be reached; try again shortly.';

/** State that must outlive one configuration snapshot: caches and single-use records. */
interface SharedState {
  tokens: TokenAttempts;
  consumed: ConsumedAuthorizations;
}

/**
 * Kong's `openid-connect` plugin: authorization code flow with server-side sessions,
 * bearer JWTs, introspection and client refresh tokens, then the same claim checks,
 * consumer mapping and upstream headers for every method. This is the `access` phase,
 * which picks the method for each request; each method lives in its own module.
 */
export class OpenIdConnectHandler implements PluginHandler {
  readonly shared: SharedState;
  readonly #rp: RelyingParty;
  readonly #config: OpenIdConnectConfig;
  readonly #methods: ReadonlySet<AuthMethod>;
  readonly #providers: ProviderCache;
  readonly #sessions: BrowserSessions;
  readonly #codeFlow: AuthorizationCodeFlow;
  readonly #presented: PresentedTokens;
  readonly #upstream: UpstreamHeaders;
  /** The claim requirements that are set, checked on every request. */
  readonly #requirements: ReadonlyArray<{ required: readonly string[]; claim: readonly string[]; what: string }>;

  constructor(config: OpenIdConnectConfig, context: PluginCreateContext) {
    const log = context.log.child({ plugin: 'openid-connect', plugin_id: context.plugin.id });
    this.#rp = new RelyingParty(config, log);
    this.#config = config;
    this.#methods = new Set(config.auth_methods);
    this.#providers = context.providers;
    this.shared =
      context.previous instanceof OpenIdConnectHandler
        ? context.previous.shared
        : { tokens: new TokenAttempts(), consumed: new ConsumedAuthorizations() };
    const redirectUri = config.redirect_uri?.[0];
    const cookie: CookieSettings = {
      path: config.session_cookie_path,
      domain: config.session_cookie_domain,
      // Decided by the registered redirect URI when there is one: a Host header can lie.
      secure: config.session_cookie_secure ?? (redirectUri ? redirectUri.startsWith('https:') : undefined),
      httpOnly: config.session_cookie_http_only,
      sameSite: config.session_cookie_same_site,
    };
    this.#sessions = new BrowserSessions(this.#rp, context.sessions, context.keyRing, cookie);
    this.#codeFlow = new AuthorizationCodeFlow(this.#rp, this.#sessions, context.keyRing, cookie, this.shared.consumed);
    this.#presented = new PresentedTokens(this.#rp, this.#methods, this.shared.tokens);
    this.#upstream = new UpstreamHeaders(config);
    this.#requirements = (
      [
        [config.audience_required, config.audience_claim, 'audience'],
        [config.scopes_required, config.scopes_claim, 'scopes'],
        [config.groups_required, config.groups_claim, 'groups'],
        [config.roles_required, config.roles_claim, 'roles'],
      ] as const
    ).flatMap(([required, claim, what]) => (required && required.length > 0 ? [{ required, claim, what }] : []));
    // Once per configuration and process: a handler created again for an unchanged one (every reload) stays quiet.
    if ((this.#methods.has('bearer') || this.#methods.has('introspection')) && !config.audience_required && context.previous === undefined) {
      log.warn(
        'bearer or introspection is enabled without audience_required: any access token of this issuer is accepted; set audience_required (for Okta: api://default or your API audience)',
      );
    }
    // Discover early so the first request does not wait; failures are retried on use.
    this.#providers.get(config.issuer).catch(() => undefined);
  }

  access(ctx: RequestContext): PluginResponse | void | Promise<PluginResponse | void> {
    // Most requests are decided by what this process already holds; those cost no promise.
    const known = this.#authenticateFromMemory(ctx);
    return known ? this.#admit(ctx, known) : this.#authenticate(ctx);
  }

  /**
   * The identity of a request that the full path (`#authenticate`) would admit without
   * waiting for anything and without writing anything: a bearer token accepted before
   * and still cached, or a session cookie opened before whose session is in this
   * process's memory with none of the session rules due (SESSION_RULES: alive, no token
   * renewal, no clock to write, the whole record at hand). `undefined` sends the request
   * down the full path, which decides it from scratch.
   */
  #authenticateFromMemory(ctx: RequestContext): Identity | undefined {
    const { request } = ctx;
    const provider = this.#providers.peek(this.#config.issuer);
    if (!provider || isLogout(request, this.#config)) return undefined;
    const interactive = this.#methods.has('authorization_code');
    if (interactive && isAuthorizationResponse(request)) return undefined;

    const bearer = this.#presented.bearerToken(request);
    if (bearer !== undefined && (this.#methods.has('bearer') || this.#methods.has('introspection'))) {
      return this.#presented.acceptedBefore(bearer);
    }
    if (this.#methods.has('refresh_token') && this.#presented.clientRefreshToken(request) !== undefined) return undefined;
    if (!(this.#methods.has('session') || interactive)) return undefined;

    const session = this.#sessions.fromMemory(request, provider);
    return session && sessionIdentity(session);
  }

  async #authenticate(ctx: RequestContext): Promise<PluginResponse | void> {
    const { request } = ctx;
    let provider: Provider;
    try {
      provider = await this.#providers.get(this.#config.issuer);
    } catch (error) {
      this.#rp.log.error({ err: describe(error) }, 'the OpenID provider is unreachable');
      return errorResponse(request, 502, OIDC_PROVIDER_UNAVAILABLE, PROVIDER_UNAVAILABLE);
    }

    if (isLogout(request, this.#config)) return signOut(request, provider, this.#rp, this.#sessions);

    const interactive = this.#methods.has('authorization_code');
    if (interactive && this.#codeFlow.isCallback(request)) return this.#codeFlow.complete(request, provider);

    let failure: Failure | undefined;

    const bearer = this.#presented.bearerToken(request);
    if (bearer !== undefined && (this.#methods.has('bearer') || this.#methods.has('introspection'))) {
      const result = await this.#presented.bearer(provider, bearer);
      if ('sources' in result) return this.#admit(ctx, result);
      failure = result;
    }

    if (!failure && this.#methods.has('refresh_token')) {
      const refreshToken = this.#presented.clientRefreshToken(request);
      if (refreshToken !== undefined) {
        const result = await this.#presented.refreshToken(provider, refreshToken);
        if ('sources' in result) return this.#admit(ctx, result);
        failure = result;
      }
    }

    if (!failure && (this.#methods.has('session') || interactive)) {
      const loaded = await this.#sessions.load(ctx, provider);
      if (loaded === 'unavailable') return errorResponse(request, 502, OIDC_PROVIDER_UNAVAILABLE, PROVIDER_UNAVAILABLE);
      if (loaded) {
        return this.#admit(ctx, sessionIdentity(loaded));
      }
    }

    return this.#unauthenticated(ctx, provider, failure);
  }

  // ---- after authentication ----------------------------------------------------------------

  #admit(ctx: RequestContext, identity: Identity): PluginResponse | void {
    const config = this.#config;
    const claims = identity.sources;
    const denied = this.#checkRequirements(claims);
    if (denied) return this.#forbidden(ctx, denied);

    let consumer: ConsumerEntity | undefined;
    if (config.consumer_claim) {
      const value = claimString(claims, config.consumer_claim);
      if (value !== undefined) {
        for (const by of config.consumer_by) {
          consumer = ctx.findConsumer(by, value);
          if (consumer) break;
        }
      }
      if (!consumer && !config.consumer_optional) {
        return this.#forbidden(ctx, 'no consumer matches the token');
      }
    }

    const credential = claimString(claims, config.credential_claim) ?? null;
    setAuthenticatedConsumer(ctx, consumer ?? null, credential, false);
    if (config.authenticated_groups_claim) {
      ctx.authenticatedGroups = claimValues(claims, config.authenticated_groups_claim) ?? null;
    }
    this.#upstream.set(ctx, identity);
  }

  #checkRequirements(claims: ClaimSources): string | undefined {
    for (const { required, claim, what } of this.#requirements) {
      if (!satisfiesRequirement(claimValues(claims, claim), required)) return `the token does not carry the required ${what}`;
    }
    return undefined;
  }

  // ---- failure -----------------------------------------------------------------------------

  async #unauthenticated(ctx: RequestContext, provider: Provider, failure: Failure | undefined): Promise<PluginResponse | void> {
    const config = this.#config;
    const { request } = ctx;
    if (config.anonymous) {
      const anonymous = ctx.findConsumer('id', config.anonymous) ?? ctx.findConsumer('username', config.anonymous);
      if (!anonymous) {
        this.#rp.log.error({ anonymous: config.anonymous }, 'the anonymous consumer does not exist');
        return errorResponse(request, 500, PLUGIN_MISCONFIGURED, 'The gateway is misconfigured: the anonymous consumer does not exist.');
      }
      setAuthenticatedConsumer(ctx, anonymous, null, true);
      return;
    }
    const api = isApiClient(request);
    if (!api && !failure && this.#methods.has('authorization_code')) {
      return this.#codeFlow.start(request, provider);
    }
    const redirectTo = config.unauthorized_redirect_uri?.[0];
    if (!api && redirectTo) return redirect(redirectTo);
    // The reason stays in the log: it may describe internals (which endpoint failed, and how).
    const challenge = failure?.invalidToken ? 'Bearer realm="gatehouse", error="invalid_token"' : 'Bearer realm="gatehouse"';
    return errorResponse(request, 401, PLUGIN_UNAUTHORIZED, 'Unauthorized', { 'www-authenticate': challenge });
  }

  #forbidden(ctx: RequestContext, reason: string): PluginResponse {
    this.#rp.log.info({ reason }, 'access forbidden');
    const redirectTo = this.#config.forbidden_redirect_uri?.[0];
    if (redirectTo && !isApiClient(ctx.request)) return redirect(redirectTo);
    return errorResponse(ctx.request, 403, PLUGIN_FORBIDDEN, 'Forbidden');
  }
}

export const openIdConnectPlugin: PluginDefinition<OpenIdConnectConfig> = {
  name: 'openid-connect',
  priority: 1050,
  configSchema: openIdConnectConfigSchema,
  secretFields: ['client_secret'],
  identityHeaders: {
    always: [...CONSUMER_HEADERS, 'x-authenticated-groups'],
    configured: configuredIdentityHeaders,
  },
  form: openIdConnectForm,
  sessionRecordPackings: { [SESSION_PREFIX]: oidcSessionPacking },
  create(config, context) {
    return new OpenIdConnectHandler(config, context);
  },
  cookieNames(config) {
    return [config.session_cookie_name, config.authorization_cookie_name];
  },
};
