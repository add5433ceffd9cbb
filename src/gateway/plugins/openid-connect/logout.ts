import * as client from 'openid-client';
import { describe, type Provider } from '../../../oidc/provider-cache.js';
import { endSessionUrl } from '../../../oidc/rp-initiated-logout.js';
import { isCrossSite } from '../../../web/same-site.js';
import type { GatewayRequest, PluginResponse } from '../../plugin.js';
import { hasQuery } from './query.js';
import type { RelyingParty } from './relying-party.js';
import { errorResponse, redirect } from './responses.js';
import type { OpenIdConnectConfig } from './schema.js';
import type { BrowserSessions } from './session.js';
import type { SessionTokens } from './session-record.js';
import { SIGN_OUT_CROSS_SITE } from '../../../web/error-codes.js';

/** Whether the request asks to sign out: a logout method, with the logout suffix or query argument. */
export function isLogout(request: GatewayRequest, config: OpenIdConnectConfig): boolean {
  if (!config.logout_methods.includes(request.method as 'GET' | 'POST' | 'DELETE')) return false;
  if (config.logout_uri_suffix && request.path.endsWith(config.logout_uri_suffix)) return true;
  return config.logout_query_arg !== undefined && hasQuery(request) && request.query.has(config.logout_query_arg);
}

/**
 * Sign-out: the session ends here, its tokens are revoked when the configuration says
 * so, and the browser continues at the provider's end-session endpoint (RP-Initiated
 * Logout) when the provider has one, else at `logout_redirect_uri`.
 */
export async function signOut(request: GatewayRequest, provider: Provider, rp: RelyingParty, sessions: BrowserSessions): Promise<PluginResponse> {
  const config = rp.config;
  if (isCrossSite(request.headers, request.host)) {
    // A link or form on another site must not sign people out (of Okta too, through id_token_hint).
    return errorResponse(request, 403, SIGN_OUT_CROSS_SITE, 'Sign-out must start from this site.');
  }
  const clear = sessions.clearCookie(request);
  const session = await sessions.remove(request, provider);
  if (session && config.logout_revoke && provider.metadata.revocation_endpoint) {
    await revoke(rp, provider, session.tokens);
  }
  const postLogout = config.logout_redirect_uri?.[0];
  const atProvider = session?.tokens.id_token
    ? endSessionUrl(provider, rp.client(provider), { idTokenHint: session.tokens.id_token, postLogoutRedirectUri: postLogout })
    : undefined;
  if (atProvider) {
    rp.log.info({ sub: session!.sub }, 'signed out; continuing at the provider');
    return redirect(atProvider, { 'set-cookie': clear });
  }
  if (postLogout) return redirect(postLogout, { 'set-cookie': clear });
  return { status: 200, headers: { 'set-cookie': clear, 'cache-control': 'no-store' }, body: { message: 'Signed out' } };
}

/** RFC 7009 revocation of the session's tokens; a failure is logged, and the sign-out goes on. */
async function revoke(rp: RelyingParty, provider: Provider, tokens: SessionTokens): Promise<void> {
  const configuration = rp.client(provider);
  const revocations: Array<Promise<void>> = [];
  if (rp.config.logout_revoke_access_token) {
    revocations.push(client.tokenRevocation(configuration, tokens.access_token, { token_type_hint: 'access_token' }));
  }
  if (rp.config.logout_revoke_refresh_token && tokens.refresh_token) {
    revocations.push(client.tokenRevocation(configuration, tokens.refresh_token, { token_type_hint: 'refresh_token' }));
  }
  for (const result of await Promise.allSettled(revocations)) {
    if (result.status === 'rejected') rp.log.warn({ reason: describe(result.reason) }, 'token revocation failed');
  }
}
