import type { IncomingMessage, ServerResponse } from 'node:http';
import { maskClaims, userClaims } from './accounts.js';
import { verifyAccessToken } from './access-tokens.js';
import type { AuthorizationServer } from './authorization-server.js';
import { bearerToken, sendJson } from './http.js';

/**
 * `/v1/userinfo`, served by the stand-in itself: oidc-provider's userinfo endpoint refuses
 * access tokens issued for a resource server (an audience such as `api://default`), and
 * Okta's access tokens always have one. The token is verified with jose against this
 * server's keys; claims follow the token's `scp`.
 */
export async function handleUserinfo(req: IncomingMessage, res: ServerResponse, server: AuthorizationServer): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'POST') {
    sendJson(res, 405, { error: 'invalid_request', error_description: 'The endpoint does not support the provided HTTP method.' }, { Allow: 'GET, POST' });
    return;
  }
  const challenge = (error: string, description: string) =>
    `Bearer authorization_uri="${server.issuer}${server.routes.authorization}", realm="${server.issuer}", scope="openid", error="${error}", error_description="${description}"`;

  const token = bearerToken(req);
  const check = token ? await verifyAccessToken(token, server.accessTokenVerification()) : undefined;
  if (!check?.valid) {
    const description = token ? 'The access token is invalid.' : 'The access token is missing.';
    sendJson(res, 401, { error: 'invalid_token', error_description: description }, { 'WWW-Authenticate': challenge('invalid_token', description) });
    return;
  }
  const { claims } = check;
  if (!claims.scp.includes('openid')) {
    const description = 'The access token must provide access to at least one of these scopes - openid';
    sendJson(res, 403, { error: 'insufficient_scope', error_description: description }, { 'WWW-Authenticate': challenge('insufficient_scope', description) });
    return;
  }
  // verifyAccessToken has checked that the user exists and is ACTIVE.
  const user = server.deps.directory.userById(String(claims.uid));
  if (!user) {
    sendJson(res, 401, { error: 'invalid_token', error_description: 'The access token is invalid.' }, { 'WWW-Authenticate': challenge('invalid_token', 'The access token is invalid.') });
    return;
  }
  const all = userClaims(server.deps, user, claims.cid, 'userinfo', claims.scp, server.groupsClaimScopes);
  // Token-level claims (ver, idp, amr) belong to tokens, not to userinfo.
  const { ver: _ver, idp: _idp, ...profile } = maskClaims(all, claims.scp, server.groupsClaimScopes);
  // A relying party must refuse userinfo about someone else (OIDC Core 5.3.2); tests check it with this switch.
  const forgedSubject = server.deps.switches.userinfoSubject;
  sendJson(res, 200, forgedSubject === undefined ? profile : { ...profile, sub: forgedSubject });
}
