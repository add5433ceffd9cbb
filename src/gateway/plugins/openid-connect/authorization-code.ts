import type * as client from 'openid-client';
import type { KeyRing } from '../../../crypto/keyring.js';
import { beginAuthorization, openPendingAuthorization, type ConsumedAuthorizations } from '../../../oidc/authorization-request.js';
import { completeAuthorization, providerErrorResponse } from '../../../oidc/authorization-response.js';
import { describe, type Provider } from '../../../oidc/provider-cache.js';
import { sameSitePathOfRequest } from '../../../web/same-site.js';
import type { GatewayRequest, PluginResponse } from '../../plugin.js';
import { claimValues, type ClaimSources } from './claims.js';
import { clearCookieHeader, readCookie, setCookieHeader, type CookieSettings } from './cookies.js';
import { hasQuery } from './query.js';
import type { RelyingParty } from './relying-party.js';
import { errorResponse, redirect } from './responses.js';
import type { OpenIdConnectConfig } from './schema.js';
import { CallbackTiming } from './server-timing.js';
import type { BrowserSessions } from './session.js';
import { accessTokenClaims, nowSeconds, tokensFrom, type OidcSession } from './session-record.js';
import { OIDC_CALLBACK_INVALID, OIDC_SIGN_IN_EXPIRED, OIDC_SIGN_IN_REFUSED } from '../../error-codes.js';

/**
 * The authorization code flow of Kong's `authorization_code` method: a browser without a
 * session is sent to the provider with a sealed authorization cookie (`start`), and
 * the provider's answer at the redirect URI becomes a session (`complete`).
 */
export class AuthorizationCodeFlow {
  readonly #rp: RelyingParty;
  readonly #config: OpenIdConnectConfig;
  readonly #keyRing: KeyRing;
  readonly #cookie: CookieSettings;
  readonly #sessions: BrowserSessions;
  readonly #consumed: ConsumedAuthorizations;

  constructor(rp: RelyingParty, sessions: BrowserSessions, keyRing: KeyRing, cookie: CookieSettings, consumed: ConsumedAuthorizations) {
    this.#rp = rp;
    this.#config = rp.config;
    this.#sessions = sessions;
    this.#keyRing = keyRing;
    this.#cookie = cookie;
    this.#consumed = consumed;
  }

  /** Whether the request is the provider's answer: an authorization response at the redirect URI's path. */
  isCallback(request: GatewayRequest): boolean {
    return isAuthorizationResponse(request) && this.#isRedirectPath(request);
  }

  #isRedirectPath(request: GatewayRequest): boolean {
    const configured = this.#config.redirect_uri?.[0];
    if (!configured) return true;
    return new URL(configured).pathname === request.path;
  }

  async start(request: GatewayRequest, provider: Provider): Promise<PluginResponse> {
    const started = await beginAuthorization({
      target: sameSitePathOfRequest(request.url),
      configuration: this.#client(provider),
      issuer: provider.issuer,
      clientId: this.#rp.clientId,
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

  /** The provider's answer, with a `Server-Timing` header that tells the provider's share of the time from the gateway's. */
  async complete(request: GatewayRequest, provider: Provider): Promise<PluginResponse> {
    const timing = new CallbackTiming();
    return timing.addTo(await this.#complete(request, provider, timing));
  }

  async #complete(request: GatewayRequest, provider: Provider, timing: CallbackTiming): Promise<PluginResponse> {
    const clearAuthorization = clearCookieHeader(request, this.#config.authorization_cookie_name, this.#cookie);
    const pending = await openPendingAuthorization(readCookie(request, this.#config.authorization_cookie_name), this.#keyRing);
    if (!pending || pending.issuer !== provider.issuer || pending.client_id !== this.#rp.clientId || !this.#consumed.consume(pending)) {
      this.#rp.log.info('authorization response without a valid, unused authorization cookie');
      return errorResponse(
        request,
        401,
        OIDC_SIGN_IN_EXPIRED,
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
        client_id: this.#rp.clientId,
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
        this.#rp.log.info({ error: refused.error, description: refused.error_description }, 'the provider refused the sign-in');
        const description = refused.error_description ? ` (${refused.error_description})` : '';
        const status = refused.error === 'access_denied' ? 403 : 401;
        return errorResponse(request, status, OIDC_SIGN_IN_REFUSED, `The identity provider refused the sign-in: ${refused.error}${description}`, {
          'set-cookie': clearAuthorization,
        });
      }
      this.#rp.log.warn({ reason: describe(failure) }, 'sign-in rejected: the authorization response or tokens failed validation');
      return errorResponse(request, 401, OIDC_CALLBACK_INVALID, 'Sign-in failed: the identity provider’s answer could not be validated.', {
        'set-cookie': clearAuthorization,
      });
    }

    const sessionCookie = await this.#sessions.start(request, session);
    this.#rp.log.info({ sub: session.sub }, 'signed in');
    // Back to where the browser wanted to go; that request is proxied with the new session.
    return redirect(pending.target, { 'set-cookie': [clearAuthorization, sessionCookie] });
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

  #client(provider: Provider): client.Configuration {
    return this.#rp.client(provider);
  }
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
