import * as client from 'openid-client';
import type { KeyRing } from '../../../crypto/keyring.js';
import type { Logger } from '../../../log.js';
import { describe, type Provider, type ProviderCache } from '../../../oidc/provider-cache.js';
import type { RecordPacking, SessionStore } from '../../../sessions/store.js';
import { CONSUMER_HEADERS, setAuthenticatedConsumer } from '../../authentication.js';
import type { ConsumerEntity } from '../../entities.js';
import {
  addResponseHeader,
  type GatewayRequest,
  type PluginCreateContext,
  type PluginDefinition,
  type PluginHandler,
  type PluginResponse,
  type RequestContext,
} from '../../plugin.js';
import { ConsumedAuthorizations, beginAuthorization, newId, openPendingAuthorization } from '../../../oidc/authorization-request.js';
import { completeAuthorization, providerErrorResponse } from '../../../oidc/authorization-response.js';
import { endSessionUrl } from '../../../oidc/rp-initiated-logout.js';
import { claimString, claimValues, satisfiesRequirement, type ClaimSources } from './claims.js';
import { clearCookieHeader, readCookie, setCookieHeader, type CookieSettings } from './cookies.js';
import { errorResponse, isApiClient, redirect } from './responses.js';
import { isCrossSite, sameSitePathOfRequest } from '../../../web/same-site.js';
import { openIdConnectConfigSchema, type AuthMethod, type OpenIdConnectConfig } from './schema.js';
import { CallbackTiming } from './server-timing.js';
import { openIdConnectForm } from './form.js';
import { endsSession, isSpent, refreshExclusively, refreshOnce, type RefreshOutcome } from './session-refresh.js';
import { oidcSessionPacking } from './session-packing.js';
import {
  SESSION_RULES,
  accessTokenClaims,
  belongsTo,
  isDue,
  markUse,
  nowSeconds,
  sessionExpiry,
  touchSession,
  type OidcSession,
  type SessionRule,
  type SessionTokens,
} from './session-record.js';
import { TokenAttempts, type VerifiedToken } from './token-attempts.js';
import { validateIdToken } from '../../../oidc/id-token.js';
import { TokenRejected, introspect, looksLikeJwt, verifyProviderJwt } from '../../../oidc/token-verification.js';

const SESSION_PREFIX = 'sess:';
const PROVIDER_UNAVAILABLE = 'The identity provider cannot be reached; try again shortly.';

/** Who the request is, once a method has authenticated it. */
interface Identity {
  method: AuthMethod;
  /**
   * Where claims are looked up, in order: the access token's claims (or the
   * introspection answer), then the ID token's, then userinfo, as Kong reads them.
   */
  sources: ClaimSources;
  accessToken: string;
  tokenType: string;
  idToken?: string | undefined;
  userinfo?: Record<string, unknown> | undefined;
}

/** A failed attempt: why (for the log), and whether a token was presented (for `WWW-Authenticate`). */
interface Failure {
  reason: string;
  invalidToken: boolean;
}

/** State that must outlive one configuration snapshot: caches and single-use records. */
interface SharedState {
  tokens: TokenAttempts;
  consumed: ConsumedAuthorizations;
}

/**
 * Kong's `openid-connect` plugin: authorization code flow with server-side sessions,
 * bearer JWTs, introspection and client refresh tokens, then the same claim checks,
 * consumer mapping and upstream headers for every method.
 */
export class OpenIdConnectHandler implements PluginHandler {
  readonly shared: SharedState;
  readonly #config: OpenIdConnectConfig;
  readonly #methods: ReadonlySet<AuthMethod>;
  readonly #keyRing: KeyRing;
  readonly #sessions: SessionStore;
  readonly #providers: ProviderCache;
  readonly #log: Logger;
  readonly #cookie: CookieSettings;
  readonly #clientId: string;
  readonly #clientSecret: string | undefined;
  /** The claim requirements that are set, checked on every request. */
  readonly #requirements: ReadonlyArray<{ required: readonly string[]; claim: readonly string[]; what: string }>;
  /** What #setUpstreamHeaders sends, worked out from the settings once. */
  readonly #upstream: {
    accessToken?: { name: string; prefix: string };
    idToken?: string;
    userinfo?: string;
    claims: ReadonlyArray<{ claim: string; header: string }>;
    dropsAccessTokenArgument: boolean;
  };

  constructor(config: OpenIdConnectConfig, context: PluginCreateContext) {
    this.#config = config;
    this.#methods = new Set(config.auth_methods);
    this.#keyRing = context.keyRing;
    this.#sessions = context.sessions;
    // Every instance registers the same packing; the store keeps one per prefix.
    this.#sessions.packWith?.(SESSION_PREFIX, oidcSessionPacking as RecordPacking);
    // Sent upstream with every request: memory copies must not leave it out.
    if (config.upstream_id_token_header) oidcSessionPacking.keepIdTokens();
    this.#providers = context.providers;
    this.#log = context.log.child({ plugin: 'openid-connect', plugin_id: context.plugin.id });
    this.#clientId = config.client_id[0]!;
    this.#clientSecret = config.client_secret?.[0];
    this.shared =
      context.previous instanceof OpenIdConnectHandler
        ? context.previous.shared
        : { tokens: new TokenAttempts(), consumed: new ConsumedAuthorizations() };
    const redirectUri = config.redirect_uri?.[0];
    this.#cookie = {
      path: config.session_cookie_path,
      domain: config.session_cookie_domain,
      // Decided by the registered redirect URI when there is one: a Host header can lie.
      secure: config.session_cookie_secure ?? (redirectUri ? redirectUri.startsWith('https:') : undefined),
      httpOnly: config.session_cookie_http_only,
      sameSite: config.session_cookie_same_site,
    };
    this.#requirements = (
      [
        [config.audience_required, config.audience_claim, 'audience'],
        [config.scopes_required, config.scopes_claim, 'scopes'],
        [config.groups_required, config.groups_claim, 'groups'],
        [config.roles_required, config.roles_claim, 'roles'],
      ] as const
    ).flatMap(([required, claim, what]) => (required && required.length > 0 ? [{ required, claim, what }] : []));
    const accessTokenHeader = config.upstream_access_token_header ? splitHeaderSetting(config.upstream_access_token_header) : undefined;
    this.#upstream = {
      ...(accessTokenHeader
        ? { accessToken: { name: accessTokenHeader[0], prefix: accessTokenHeader[1] ? `${capitalize(accessTokenHeader[1])} ` : '' } }
        : {}),
      ...(config.upstream_id_token_header ? { idToken: config.upstream_id_token_header.toLowerCase() } : {}),
      ...(config.upstream_user_info_header ? { userinfo: config.upstream_user_info_header.toLowerCase() } : {}),
      claims: (config.upstream_headers_claims ?? []).map((claim, index) => ({
        claim,
        header: config.upstream_headers_names![index]!.toLowerCase(),
      })),
      dropsAccessTokenArgument: config.bearer_token_param_type.includes('query'),
    };
    // Once per configuration and process: a handler created again for an unchanged one (every reload) stays quiet.
    if ((this.#methods.has('bearer') || this.#methods.has('introspection')) && !config.audience_required && context.previous === undefined) {
      this.#log.warn(
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
    if (!provider || this.#isLogout(ctx)) return undefined;
    const interactive = this.#methods.has('authorization_code');
    if (interactive && isAuthorizationResponse(request)) return undefined;

    const bearer = this.#bearerToken(ctx);
    if (bearer !== undefined && (this.#methods.has('bearer') || this.#methods.has('introspection'))) {
      const useJwt = this.#methods.has('bearer') && looksLikeJwt(bearer);
      if (!useJwt && !(this.#methods.has('introspection') && this.#config.cache_introspection)) return undefined;
      const verified = this.shared.tokens.accepted(bearer);
      return verified && bearerIdentity(useJwt, verified, bearer);
    }
    if (this.#methods.has('refresh_token') && this.#clientRefreshToken(ctx) !== undefined) return undefined;
    if (!(this.#methods.has('session') || interactive)) return undefined;

    const handle = readCookie(request, this.#config.session_cookie_name);
    const claims = handle === undefined ? undefined : this.#keyRing.unsealKnown(handle);
    if (!claims || typeof claims.sid !== 'string') return undefined;
    const session = this.#sessions.peek?.<OidcSession>(SESSION_PREFIX + claims.sid);
    if (!session || !belongsTo(session, provider.issuer, this.#clientId)) return undefined;
    const now = nowSeconds();
    for (const rule of SESSION_RULES) if (isDue(rule, session, this.#config, now)) return undefined;
    markUse(session, now);
    return sessionIdentity(session);
  }

  async #authenticate(ctx: RequestContext): Promise<PluginResponse | void> {
    const { request } = ctx;
    let provider: Provider;
    try {
      provider = await this.#providers.get(this.#config.issuer);
    } catch (error) {
      this.#log.error({ err: describe(error) }, 'the OpenID provider is unreachable');
      return errorResponse(request, 502, PROVIDER_UNAVAILABLE);
    }

    if (this.#isLogout(ctx)) return this.#logout(ctx, provider);

    const interactive = this.#methods.has('authorization_code');
    if (interactive && isAuthorizationResponse(request) && this.#isRedirectPath(ctx)) {
      const timing = new CallbackTiming();
      return timing.addTo(await this.#completeAuthorization(ctx, provider, timing));
    }

    let failure: Failure | undefined;

    const bearer = this.#bearerToken(ctx);
    if (bearer !== undefined && (this.#methods.has('bearer') || this.#methods.has('introspection'))) {
      const result = await this.#authenticateBearer(provider, bearer);
      if ('sources' in result) return this.#admit(ctx, result);
      failure = result;
    }

    if (!failure && this.#methods.has('refresh_token')) {
      const refreshToken = this.#clientRefreshToken(ctx);
      if (refreshToken !== undefined) {
        const result = await this.#authenticateRefreshToken(provider, refreshToken);
        if ('sources' in result) return this.#admit(ctx, result);
        failure = result;
      }
    }

    if (!failure && (this.#methods.has('session') || interactive)) {
      const loaded = await this.#loadSession(ctx, provider);
      if (loaded === 'unavailable') return errorResponse(request, 502, PROVIDER_UNAVAILABLE);
      if (loaded) {
        return this.#admit(ctx, sessionIdentity(loaded));
      }
    }

    return this.#unauthenticated(ctx, provider, failure);
  }

  // ---- authentication methods -------------------------------------------------

  async #authenticateBearer(provider: Provider, token: string): Promise<Identity | Failure> {
    const useJwt = this.#methods.has('bearer') && looksLikeJwt(token);
    if (!useJwt && !this.#methods.has('introspection')) {
      return { reason: 'the bearer token is not a JWT and introspection is not enabled', invalidToken: true };
    }
    try {
      const verified = await this.shared.tokens.verify(
        token,
        async (): Promise<VerifiedToken> => {
          const claims = useJwt
            ? await verifyProviderJwt(provider, token, { leeway: this.#config.leeway, accessTokenFor: this.#clientId, origin: 'presented' })
            : await introspect(this.#client(provider), token);
          const exp = typeof claims.exp === 'number' ? claims.exp : nowSeconds() + 60;
          return { claims, expiresAt: exp };
        },
        useJwt || this.#config.cache_introspection,
      );
      return bearerIdentity(useJwt, verified, token);
    } catch (error) {
      return this.#rejected('bearer token rejected', error);
    }
  }

  async #authenticateRefreshToken(provider: Provider, refreshToken: string): Promise<Identity | Failure> {
    let response: client.TokenEndpointResponse;
    try {
      response = await client.refreshTokenGrant(this.#client(provider), refreshToken);
    } catch (error) {
      return this.#rejected('refresh token rejected', error);
    }
    try {
      const idClaims = response.id_token ? await this.#validateIdToken(provider, response.id_token) : undefined;
      return {
        method: 'refresh_token',
        sources: [accessTokenClaims(response.access_token, response.scope), idClaims ?? {}],
        accessToken: response.access_token,
        tokenType: response.token_type ?? 'Bearer',
        idToken: response.id_token,
      };
    } catch (error) {
      return this.#rejected('refreshed tokens failed validation', error);
    }
  }

  #rejected(message: string, error: unknown): Failure {
    const reason = error instanceof TokenRejected ? error.reason : describe(error);
    this.#log.info({ reason }, message);
    return { reason, invalidToken: true };
  }

  /** The session for the request's cookie, after its timeouts and (when due) a refresh. */
  async #loadSession(ctx: RequestContext, provider: Provider): Promise<OidcSession | 'unavailable' | undefined> {
    const sid = await this.#sessionId(ctx.request);
    if (!sid) return undefined;
    let session = await this.#ownSession(sid, provider);
    if (!session) return undefined;
    for (const rule of SESSION_RULES) {
      if (!isDue(rule, session, this.#config)) continue;
      const settled = await this.#settle(rule, sid, session, provider);
      if (settled === 'unavailable') return settled;
      if (settled === 'ended') {
        await this.#endSession(ctx, sid);
        return undefined;
      }
      session = settled;
    }
    markUse(session);
    return session;
  }

  /** Deals with a rule that is due (see SESSION_RULES): the session to go on with, or why there is none. */
  async #settle(rule: SessionRule, sid: string, session: OidcSession, provider: Provider): Promise<OidcSession | 'ended' | 'unavailable'> {
    switch (rule) {
      case 'ended': {
        // This process's copy may be older than the store's: another worker may have
        // used the session since (the idle clock). Ask the store before ending it.
        const latest = await this.#ownSession(sid, provider, { fresh: true });
        return latest && !isDue('ended', latest, this.#config) ? latest : 'ended';
      }
      case 'token-renewal': {
        const outcome = await this.#refreshSession(sid, session, provider);
        if (outcome.kind === 'ended') return 'ended';
        if (outcome.kind === 'refreshed') return outcome.session;
        // Cannot renew now: a token that is still valid serves, a spent one waits for a later request.
        return isSpent(session.tokens) ? 'unavailable' : session;
      }
      case 'use-write':
        touchSession(session, this.#config);
        // Ended by another process (a sign-out on another worker) since it was read.
        return (await this.#persistUse(sid, session)) ? session : 'ended';
      case 'whole-record': {
        // Packed before this route asked for ID tokens; from now on the memory copy keeps it.
        const whole = await this.#ownSession(sid, provider, { fresh: true });
        if (!whole) return 'ended';
        whole.last_seen = session.last_seen;
        return whole;
      }
    }
  }

  async #sessionId(request: GatewayRequest): Promise<string | undefined> {
    const handle = readCookie(request, this.#config.session_cookie_name);
    if (!handle) return undefined;
    const claims = await this.#keyRing.unseal(handle);
    return claims && typeof claims.sid === 'string' ? claims.sid : undefined;
  }

  /**
   * The session record, if it belongs to this provider and client (cookie names are shared
   * between plugins); `fresh` reads the store past this process's memory copy.
   */
  async #ownSession(sid: string, provider: Provider, options: { fresh?: boolean } = {}): Promise<OidcSession | undefined> {
    const key = SESSION_PREFIX + sid;
    const session =
      options.fresh && this.#sessions.fresh ? await this.#sessions.fresh<OidcSession>(key) : await this.#sessions.get<OidcSession>(key);
    return session && belongsTo(session, provider.issuer, this.#clientId) ? session : undefined;
  }

  async #endSession(ctx: RequestContext, sid: string): Promise<void> {
    await this.#sessions.delete(SESSION_PREFIX + sid);
    addResponseHeader(ctx, 'set-cookie', clearCookieHeader(ctx.request, this.#config.session_cookie_name, this.#cookie));
  }

  #refreshSession(sid: string, current: OidcSession, provider: Provider): Promise<RefreshOutcome> {
    if (!current.tokens.refresh_token || !this.#config.refresh_tokens) {
      // Without a way to renew, an expired access token ends the session, as in Kong.
      return Promise.resolve(isSpent(current.tokens) ? { kind: 'ended' } : { kind: 'refreshed', session: current });
    }
    return refreshOnce(sid, () =>
      refreshExclusively({
        sessions: this.#sessions,
        key: SESSION_PREFIX + sid,
        current,
        // Long enough for the provider call (its timeout) and the ID token's checks.
        leaseMs: this.#config.timeout + 5000,
        refresh: (latest) => this.#renew(sid, latest, provider),
      }),
    );
  }

  async #renew(sid: string, latest: OidcSession, provider: Provider): Promise<RefreshOutcome> {
    // Refreshed records are written whole: a memory copy without its ID token is completed first.
    const session = latest.tokens.id_token_in_store ? await this.#ownSession(sid, provider, { fresh: true }) : latest;
    if (!session) return { kind: 'ended' };
    const refreshToken = session.tokens.refresh_token;
    if (!refreshToken) return isSpent(session.tokens) ? { kind: 'ended' } : { kind: 'refreshed', session };
    try {
      const response = await client.refreshTokenGrant(this.#client(provider), refreshToken);
      let idClaims = session.id_claims;
      // OIDC Core 12.2: a refreshed ID token is about the same person.
      if (response.id_token) idClaims = await this.#validateIdToken(provider, response.id_token, session.sub);
      const refreshed: OidcSession = {
        ...session,
        tokens: tokensFrom(response, session.tokens),
        claims: accessTokenClaims(response.access_token, response.scope ?? session.tokens.scope),
        id_claims: idClaims,
      };
      // A sign-out elsewhere while the provider answered ended the session: it stays ended.
      if (!(await this.#storeSession(sid, refreshed, 'replace'))) return { kind: 'ended' };
      this.#log.debug('session tokens refreshed');
      return { kind: 'refreshed', session: refreshed };
    } catch (error) {
      // Another node (or an earlier request) may have refreshed with the same token first.
      const stored = await this.#ownSession(sid, provider, { fresh: true });
      if (stored && stored.tokens.obtained_at > session.tokens.obtained_at) return { kind: 'refreshed', session: stored };
      if (endsSession(error)) {
        this.#log.info({ reason: describe(error) }, 'the provider refused the refresh; the session ends');
        return { kind: 'ended' };
      }
      this.#log.warn({ reason: describe(error) }, 'session refresh failed; keeping the session and trying again later');
      return { kind: 'unavailable' };
    }
  }

  /**
   * Writes a session record: `create` at sign-in; `replace` for a live session, which
   * writes nothing (and answers false) once the record is gone — another process ended
   * the session, and a late write must not bring it back.
   */
  async #storeSession(sid: string, session: OidcSession, mode: 'create' | 'replace'): Promise<boolean> {
    if (session.tokens.id_token_in_store) throw new Error('a memory copy without its ID token must not be written back');
    const expiry = sessionExpiry(session, this.#config);
    if (expiry === 0) return false;
    const key = SESSION_PREFIX + sid;
    const subject = `${session.issuer}#${session.sub}`;
    if (mode === 'replace' && this.#sessions.replace) return this.#sessions.replace(key, session, expiry, subject);
    await this.#sessions.set(key, session, expiry, subject);
    return true;
  }

  /**
   * Persists the idle and rolling clocks. What is written is the stored record with this
   * copy's clocks: the store's tokens may be newer (another worker refreshed them, and
   * with rotation the old refresh token is spent), and this copy may have left the ID
   * token out. The request goes on with the newer tokens too. A read and a write, at
   * most once a minute per session (see touchSession), never per request.
   */
  async #persistUse(sid: string, session: OidcSession): Promise<boolean> {
    if (!this.#sessions.fresh) return this.#storeSession(sid, session, 'replace');
    const stored = await this.#sessions.fresh<OidcSession>(SESSION_PREFIX + sid);
    if (!stored) return false;
    if (stored.tokens.obtained_at > session.tokens.obtained_at) {
      session.tokens = stored.tokens;
      session.claims = stored.claims;
      session.id_claims = stored.id_claims;
    }
    return this.#storeSession(sid, {
      ...stored,
      last_seen: Math.max(stored.last_seen, session.last_seen),
      rolled_at: Math.max(stored.rolled_at, session.rolled_at),
      persisted_seen: Math.max(stored.persisted_seen, session.persisted_seen),
    }, 'replace');
  }

  // ---- authorization code flow ---------------------------------------------------

  #isRedirectPath(ctx: RequestContext): boolean {
    const configured = this.#config.redirect_uri?.[0];
    if (!configured) return true;
    return new URL(configured).pathname === ctx.request.path;
  }

  async #startAuthorization(ctx: RequestContext, provider: Provider): Promise<PluginResponse> {
    const { request } = ctx;
    const started = await beginAuthorization({
      target: sameSitePathOfRequest(request.url),
      configuration: this.#client(provider),
      issuer: provider.issuer,
      clientId: this.#clientId,
      redirectUri: redirectUriFor(request, this.#config.redirect_uri),
      scopes: this.#config.scopes,
      keyRing: this.#keyRing,
      lifetimeSeconds: this.#config.authorization_rolling_timeout || 600,
    });
    const cookie = setCookieHeader(
      request,
      this.#config.authorization_cookie_name,
      started.cookieValue,
      // The provider sends the browser back with a top-level GET: SameSite=Lax lets the cookie ride along.
      { ...this.#cookie, sameSite: this.#cookie.sameSite === 'None' ? 'None' : 'Lax' },
      started.expiresAt - nowSeconds(),
    );
    return redirect(started.location, { 'set-cookie': cookie });
  }

  async #completeAuthorization(ctx: RequestContext, provider: Provider, timing: CallbackTiming): Promise<PluginResponse> {
    const { request } = ctx;
    const clearAuthorization = clearCookieHeader(request, this.#config.authorization_cookie_name, this.#cookie);
    const pending = await openPendingAuthorization(readCookie(request, this.#config.authorization_cookie_name), this.#keyRing);
    if (!pending || pending.issuer !== provider.issuer || pending.client_id !== this.#clientId || !this.shared.consumed.consume(pending)) {
      this.#log.info('authorization response without a valid, unused authorization cookie');
      return errorResponse(
        request,
        401,
        'Sign-in could not be completed: it took too long, was already used, or cookies are blocked. Open the page again to sign in.',
        { 'set-cookie': clearAuthorization },
      );
    }

    let session: OidcSession;
    try {
      const completed = await completeAuthorization(provider, this.#client(provider), pending, request.query, {
        leeway: this.#config.leeway,
        callProvider: (call) => timing.provider(call),
      });
      const { tokens, idClaims } = completed;
      const claims = accessTokenClaims(tokens.access_token, tokens.scope);
      const userinfo = this.#wantsUserinfo([claims, idClaims]) ? await completed.userinfo?.() : undefined;
      const now = nowSeconds();
      session = {
        v: 1,
        issuer: provider.issuer,
        client_id: this.#clientId,
        sub: completed.subject,
        created_at: now,
        last_seen: now,
        persisted_seen: now,
        rolled_at: now,
        tokens: tokensFrom(tokens),
        claims,
        id_claims: idClaims,
        userinfo,
      };
    } catch (failure) {
      const refused = providerErrorResponse(failure);
      if (refused?.in === 'authentication-response') {
        this.#log.info({ error: refused.error, description: refused.error_description }, 'the provider refused the sign-in');
        const description = refused.error_description ? ` (${refused.error_description})` : '';
        return errorResponse(request, refused.error === 'access_denied' ? 403 : 401, `The identity provider refused the sign-in: ${refused.error}${description}`, {
          'set-cookie': clearAuthorization,
        });
      }
      this.#log.warn({ reason: describe(failure) }, 'sign-in rejected: the authorization response or tokens failed validation');
      return errorResponse(request, 401, 'Sign-in failed: the identity provider’s answer could not be validated.', {
        'set-cookie': clearAuthorization,
      });
    }

    const sid = newId();
    // The handle lives as long as the session could: idle and rolling limits are
    // enforced on the server-side record, which every use extends.
    const absolute = this.#config.session_absolute_timeout;
    // Independent steps, each waiting on the crypto thread pool or the database: run
    // together, they cost the sign-in the longest of them rather than their sum.
    const [handle] = await Promise.all([
      this.#keyRing.seal({ sid }, Math.ceil(absolute > 0 ? session.created_at + absolute : session.created_at + 365 * 86400)),
      this.#storeSession(sid, session, 'create'),
      // A new sign-in replaces whatever session this browser had.
      this.#sessionId(request).then((previous) => (previous ? this.#sessions.delete(SESSION_PREFIX + previous) : undefined)),
    ]);
    const sessionCookie = setCookieHeader(
      request,
      this.#config.session_cookie_name,
      handle,
      this.#cookie,
      absolute > 0 ? absolute : undefined,
    );
    this.#log.info({ sub: session.sub }, 'signed in');
    // Back to where the browser wanted to go; that request is proxied with the new session.
    return redirect(pending.target, { 'set-cookie': [clearAuthorization, sessionCookie] });
  }

  /** Every ID token here came from the token endpoint (code or refresh grant), over a channel Gatehouse opened. */
  #validateIdToken(provider: Provider, idToken: string, subject?: string): Promise<Record<string, unknown>> {
    return validateIdToken(provider, idToken, { clientId: this.#clientId, leeway: this.#config.leeway, origin: 'token-endpoint', subject });
  }

  /** Userinfo is fetched at sign-in when a header wants it, or when a claim the configuration reads is missing (Okta's thin ID tokens). */
  #wantsUserinfo(sources: ClaimSources): boolean {
    const config = this.#config;
    if (config.upstream_user_info_header) return true;
    const needed: Array<readonly string[] | undefined> = [
      config.groups_required ? config.groups_claim : undefined,
      config.roles_required ? config.roles_claim : undefined,
      config.consumer_claim,
      config.authenticated_groups_claim,
      ...(config.upstream_headers_claims ?? []).map((claim) => [claim]),
    ];
    return needed.some((path) => path !== undefined && claimValues(sources, path) === undefined);
  }

  // ---- logout ------------------------------------------------------------------------

  #isLogout(ctx: RequestContext): boolean {
    const { request } = ctx;
    const config = this.#config;
    if (!config.logout_methods.includes(request.method as 'GET' | 'POST' | 'DELETE')) return false;
    if (config.logout_uri_suffix && request.path.endsWith(config.logout_uri_suffix)) return true;
    return config.logout_query_arg !== undefined && hasQuery(request) && request.query.has(config.logout_query_arg);
  }

  async #logout(ctx: RequestContext, provider: Provider): Promise<PluginResponse> {
    const { request } = ctx;
    if (isCrossSite(request.headers, request.host)) {
      // A link or form on another site must not sign people out (of Okta too, through id_token_hint).
      return errorResponse(request, 403, 'Sign-out must start from this site.');
    }
    const clear = clearCookieHeader(request, this.#config.session_cookie_name, this.#cookie);
    const sid = await this.#sessionId(request);
    // Only our own session: the cookie name may be shared with plugins of other providers.
    // The stored record: its tokens are the newest, and it has the ID token for the hint.
    const session = sid ? await this.#ownSession(sid, provider, { fresh: true }) : undefined;
    if (sid && session) await this.#sessions.delete(SESSION_PREFIX + sid);
    if (session && this.#config.logout_revoke && provider.metadata.revocation_endpoint) {
      await this.#revoke(provider, session.tokens);
    }
    const postLogout = this.#config.logout_redirect_uri?.[0];
    const atProvider = session?.tokens.id_token
      ? endSessionUrl(provider, this.#client(provider), { idTokenHint: session.tokens.id_token, postLogoutRedirectUri: postLogout })
      : undefined;
    if (atProvider) {
      this.#log.info({ sub: session!.sub }, 'signed out; continuing at the provider');
      return redirect(atProvider, { 'set-cookie': clear });
    }
    if (postLogout) return redirect(postLogout, { 'set-cookie': clear });
    return { status: 200, headers: { 'set-cookie': clear, 'cache-control': 'no-store' }, body: { message: 'Signed out' } };
  }

  async #revoke(provider: Provider, tokens: SessionTokens): Promise<void> {
    const configuration = this.#client(provider);
    const revocations: Array<Promise<void>> = [];
    if (this.#config.logout_revoke_access_token) {
      revocations.push(client.tokenRevocation(configuration, tokens.access_token, { token_type_hint: 'access_token' }));
    }
    if (this.#config.logout_revoke_refresh_token && tokens.refresh_token) {
      revocations.push(client.tokenRevocation(configuration, tokens.refresh_token, { token_type_hint: 'refresh_token' }));
    }
    for (const result of await Promise.allSettled(revocations)) {
      if (result.status === 'rejected') this.#log.warn({ reason: describe(result.reason) }, 'token revocation failed');
    }
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
    this.#setUpstreamHeaders(ctx, identity);
  }

  #checkRequirements(claims: ClaimSources): string | undefined {
    for (const { required, claim, what } of this.#requirements) {
      if (!satisfiesRequirement(claimValues(claims, claim), required)) return `the token does not carry the required ${what}`;
    }
    return undefined;
  }

  #setUpstreamHeaders(ctx: RequestContext, identity: Identity): void {
    const config = this.#config;
    const headers = ctx.upstreamHeaders;
    const upstream = this.#upstream;
    if (upstream.accessToken) headers.set(upstream.accessToken.name, upstream.accessToken.prefix + identity.accessToken);
    if (upstream.idToken && identity.idToken) headers.set(upstream.idToken, identity.idToken);
    if (upstream.userinfo && identity.userinfo) {
      headers.set(upstream.userinfo, Buffer.from(JSON.stringify(identity.userinfo)).toString('base64url'));
    }
    for (const { claim, header } of upstream.claims) {
      const values = claimValues(identity.sources, [claim]);
      headers.set(header, values === undefined ? null : values.join(' '));
    }
    // Credentials the gateway consumed stay at the gateway.
    if (identity.method === 'refresh_token') {
      headers.set(refreshTokenHeader(config.refresh_token_param_name), null);
      ctx.removeUpstreamQueryArgument(config.refresh_token_param_name);
    }
    if (upstream.dropsAccessTokenArgument && hasQuery(ctx.request)) ctx.removeUpstreamQueryArgument('access_token');
  }

  // ---- failure -----------------------------------------------------------------------------

  async #unauthenticated(ctx: RequestContext, provider: Provider, failure: Failure | undefined): Promise<PluginResponse | void> {
    const config = this.#config;
    const { request } = ctx;
    if (config.anonymous) {
      const anonymous = ctx.findConsumer('id', config.anonymous) ?? ctx.findConsumer('username', config.anonymous);
      if (!anonymous) {
        this.#log.error({ anonymous: config.anonymous }, 'the anonymous consumer does not exist');
        return errorResponse(request, 500, 'The gateway is misconfigured: the anonymous consumer does not exist.');
      }
      setAuthenticatedConsumer(ctx, anonymous, null, true);
      return;
    }
    const api = isApiClient(request);
    if (!api && !failure && this.#methods.has('authorization_code')) {
      return this.#startAuthorization(ctx, provider);
    }
    const redirectTo = config.unauthorized_redirect_uri?.[0];
    if (!api && redirectTo) return redirect(redirectTo);
    // The reason stays in the log: it may describe internals (which endpoint failed, and how).
    const challenge = failure?.invalidToken ? 'Bearer realm="gatehouse", error="invalid_token"' : 'Bearer realm="gatehouse"';
    return errorResponse(request, 401, 'Unauthorized', { 'www-authenticate': challenge });
  }

  #forbidden(ctx: RequestContext, reason: string): PluginResponse {
    this.#log.info({ reason }, 'access forbidden');
    const redirectTo = this.#config.forbidden_redirect_uri?.[0];
    if (redirectTo && !isApiClient(ctx.request)) return redirect(redirectTo);
    return errorResponse(ctx.request, 403, 'Forbidden');
  }

  // ---- helpers -------------------------------------------------------------------------------

  #client(provider: Provider): client.Configuration {
    const methods = this.#config.client_auth;
    return provider.client({
      clientId: this.#clientId,
      clientSecret: this.#clientSecret,
      authMethod: methods?.[0],
      timeoutSeconds: Math.ceil(this.#config.timeout / 1000),
      introspectionEndpoint: this.#config.introspection_endpoint,
    });
  }

  #bearerToken(ctx: RequestContext): string | undefined {
    const { request } = ctx;
    const types = this.#config.bearer_token_param_type;
    if (types.includes('header')) {
      const match = /^\s*bearer\s+([^\s]+)\s*$/i.exec(request.headers.authorization ?? '');
      if (match) return match[1];
    }
    if (types.includes('query') && hasQuery(request)) {
      const token = request.query.get('access_token');
      if (token) return token;
    }
    return undefined;
  }

  #clientRefreshToken(ctx: RequestContext): string | undefined {
    const { request } = ctx;
    const name = this.#config.refresh_token_param_name;
    const types = this.#config.refresh_token_param_type;
    if (types.includes('header')) {
      const value = request.headers[refreshTokenHeader(name)];
      if (typeof value === 'string' && value) return value;
    }
    if (types.includes('query') && hasQuery(request)) {
      const value = request.query.get(name);
      if (value) return value;
    }
    return undefined;
  }
}

/** Whether the request has a query string: asking spares parsing one that is not there. */
function hasQuery(request: GatewayRequest): boolean {
  return request.url.includes('?');
}

function bearerIdentity(useJwt: boolean, verified: VerifiedToken, token: string): Identity {
  return { method: useJwt ? 'bearer' : 'introspection', sources: [verified.claims], accessToken: token, tokenType: 'Bearer' };
}

function sessionIdentity(session: OidcSession): Identity {
  return {
    method: 'session',
    sources: [session.claims, session.id_claims, session.userinfo ?? {}],
    accessToken: session.tokens.access_token,
    tokenType: session.tokens.token_type,
    idToken: session.tokens.id_token,
    userinfo: session.userinfo,
  };
}

/** The redirect URI for a request: the configured one, else the request's own URL without its query (Kong). */
export function redirectUriFor(request: GatewayRequest, configured: readonly string[] | undefined): string {
  if (configured && configured.length > 0) return configured[0]!;
  return `${request.scheme}://${request.host}${request.path}`;
}

/** Whether the request is an authorization response: `state` with `code` or `error`. */
export function isAuthorizationResponse(request: GatewayRequest): boolean {
  if (!hasQuery(request)) return false;
  const { query } = request;
  return query.has('state') && (query.has('code') || query.has('error'));
}


/** Kong reads a client's refresh token from `Refresh-Token` (the parameter name with dashes). */
function refreshTokenHeader(parameterName: string): string {
  return parameterName.toLowerCase().replace(/_/g, '-');
}

function tokensFrom(response: client.TokenEndpointResponse, previous?: SessionTokens): SessionTokens {
  const now = nowSeconds();
  return {
    access_token: response.access_token,
    token_type: response.token_type ?? 'Bearer',
    expires_at: typeof response.expires_in === 'number' ? now + response.expires_in : undefined,
    obtained_at: now,
    // Providers that do not rotate refresh tokens omit them from refresh answers.
    refresh_token: response.refresh_token ?? previous?.refresh_token,
    id_token: response.id_token ?? previous?.id_token,
    scope: response.scope ?? previous?.scope,
  };
}

/** Kong's `name:scheme` setting (`authorization:bearer`). */
function splitHeaderSetting(setting: string): [string, string | undefined] {
  const index = setting.indexOf(':');
  if (index === -1) return [setting.toLowerCase(), undefined];
  return [setting.slice(0, index).toLowerCase(), setting.slice(index + 1) || undefined];
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** The upstream headers a configuration sets from the tokens (see `identityHeaders` in plugin.ts). */
function configuredIdentityHeaders(config: OpenIdConnectConfig): string[] {
  return [
    ...(config.upstream_access_token_header ? [splitHeaderSetting(config.upstream_access_token_header)[0]] : []),
    ...[config.upstream_id_token_header, config.upstream_user_info_header, ...(config.upstream_headers_names ?? [])]
      .filter((name): name is string => name !== undefined)
      .map((name) => name.toLowerCase()),
  ];
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
  create(config, context) {
    return new OpenIdConnectHandler(config, context);
  },
  cookieNames(config) {
    return [config.session_cookie_name, config.authorization_cookie_name];
  },
};
