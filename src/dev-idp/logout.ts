import type { IncomingMessage, ServerResponse } from 'node:http';
import { compactVerify } from 'jose';
import type { AuthorizationServer } from './authorization-server.js';
import { sendBackchannelLogouts, type EndedSession } from './backchannel-logout.js';
import { redirect, sendHtml } from './http.js';
import { renderErrorPage } from './sign-in-page.js';

/**
 * `/v1/logout`, served by the stand-in itself because Okta's behaviour differs from
 * oidc-provider's RP-initiated logout: `id_token_hint` is required, an expired hint still
 * works, there is no confirmation page, and the browser goes straight back (302) to the
 * registered `post_logout_redirect_uri` with `state`. The Okta session is one per org, so
 * the sign-in sessions of every authorization server end together. Before the redirect, the
 * clients that got tokens in an ended session and registered a `backchannel_logout_uri`
 * receive a logout token (OpenID Connect Back-Channel Logout 1.0, see backchannel-logout.ts).
 */
export async function handleLogout(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  server: AuthorizationServer,
  allServers: readonly AuthorizationServer[],
): Promise<void> {
  const fail = (description: string) => sendHtml(res, 400, renderErrorPage('invalid_request', description));
  if (req.method !== 'GET') {
    sendHtml(res, 405, renderErrorPage('invalid_request', 'The endpoint does not support the provided HTTP method.'), { Allow: 'GET' });
    return;
  }
  const hint = url.searchParams.get('id_token_hint');
  if (!hint) return fail("The 'id_token_hint' parameter is required.");

  // Signature only: expiry does not matter for a logout hint, so jwtVerify (which checks exp) is not used.
  let claims: { iss?: unknown; aud?: unknown; sub?: unknown };
  try {
    const { payload } = await compactVerify(hint, server.keys.verifier, { algorithms: ['RS256'] });
    claims = JSON.parse(new TextDecoder().decode(payload)) as typeof claims;
  } catch {
    return fail("The 'id_token_hint' parameter is not a valid ID token.");
  }
  const audience = Array.isArray(claims.aud) ? claims.aud[0] : claims.aud;
  const client = typeof audience === 'string' ? server.deps.clients.get(audience) : undefined;
  if (claims.iss !== server.issuer || !client) {
    return fail("The 'id_token_hint' parameter was not issued by this authorization server.");
  }

  const target = url.searchParams.get('post_logout_redirect_uri');
  if (target !== null && !client.post_logout_redirect_uris.includes(target)) {
    return fail("The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings.");
  }

  const ended: Array<[AuthorizationServer, EndedSession]> = [];
  for (const each of allServers) {
    const session = await each.endBrowserSession(req, res);
    if (session) ended.push([each, session]);
  }
  await Promise.all(ended.map(([each, session]) => sendBackchannelLogouts(each, session)));
  server.deps.log.info({ userId: typeof claims.sub === 'string' ? claims.sub : undefined, clientId: client.client_id }, 'dev IdP sign-out');

  if (target === null) return redirect(res, 302, '/signed-out');
  const location = new URL(target);
  const state = url.searchParams.get('state');
  if (state !== null) location.searchParams.set('state', state);
  redirect(res, 302, location.href);
}
