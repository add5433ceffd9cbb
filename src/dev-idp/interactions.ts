import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Interaction } from 'oidc-provider';
import { errors } from './provider-library.js';
import type { AuthorizationServer } from './authorization-server.js';
import { BodyTooLargeError, readBody, sendHtml } from './http.js';
import { renderErrorPage, renderSignInPage, SIGN_IN_FAILED_MESSAGE } from './sign-in-page.js';

/**
 * The sign-in page behind oidc-provider's interactions (`{issuer path}/signin/{uid}`):
 * - login prompt: an HTML username/password form; a wrong password (or a user who is not
 *   ACTIVE) shows Okta's "Unable to sign in" on the same page;
 * - consent prompt: granted without asking, as Okta does for first-party apps.
 * A browser already signed in at another authorization server of the stand-in is signed in
 * here without the form, because Okta has one session per org.
 */

const PASSWORD_AMR = ['pwd'];

export async function handleSignIn(
  req: IncomingMessage,
  res: ServerResponse,
  uid: string,
  server: AuthorizationServer,
  allServers: readonly AuthorizationServer[],
): Promise<void> {
  const { provider } = server;
  let interaction: Interaction;
  try {
    interaction = await provider.interactionDetails(req, res);
  } catch (error) {
    if (error instanceof errors.SessionNotFound) {
      sendHtml(res, 400, renderErrorPage('invalid_request', 'This sign-in request has expired or was already completed. Go back to the app and sign in again.'));
      return;
    }
    throw error;
  }
  if (interaction.uid !== uid) {
    sendHtml(res, 400, renderErrorPage('invalid_request', 'This sign-in request does not belong to this browser.'));
    return;
  }
  const action = `${server.prefix}/signin/${uid}`;
  const clientId = interaction.params.client_id;

  if (interaction.prompt.name === 'consent') {
    await provider.interactionFinished(req, res, { consent: { grantId: await grantConsent(server, interaction) } }, { mergeWithLastSubmission: true });
    return;
  }
  if (interaction.prompt.name !== 'login') {
    sendHtml(res, 400, renderErrorPage('invalid_request', `Unsupported interaction '${interaction.prompt.name}'.`));
    return;
  }

  if (req.method === 'GET') {
    // Reuse another authorization server's session only when nothing asked for a fresh login.
    const onlyNoSession = interaction.prompt.reasons.length === 1 && interaction.prompt.reasons[0] === 'no_session';
    if (onlyNoSession) {
      for (const peer of allServers) {
        if (peer === server) continue;
        const session = await peer.browserSession(req, res);
        if (session) {
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: session.accountId, ts: session.loginTs, amr: session.amr ?? PASSWORD_AMR } },
            { mergeWithLastSubmission: false },
          );
          return;
        }
      }
    }
    sendHtml(res, 200, renderSignInPage({ action, username: interaction.params.login_hint, clientId }));
    return;
  }

  if (req.method !== 'POST') {
    sendHtml(res, 405, renderErrorPage('invalid_request', 'The endpoint does not support the provided HTTP method.'), { Allow: 'GET, POST' });
    return;
  }
  let form: URLSearchParams;
  try {
    form = new URLSearchParams(await readBody(req));
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      sendHtml(res, 413, renderErrorPage('invalid_request', 'The sign-in form is too large.'));
      return;
    }
    throw error;
  }
  const username = form.get('username') ?? '';
  const user = server.deps.directory.authenticate(username, form.get('password') ?? '');
  if (!user) {
    // The login may be logged (it helps debugging tests); the password never is.
    server.deps.log.info({ login: username, clientId }, 'dev IdP sign-in failed');
    sendHtml(res, 200, renderSignInPage({ action, username, clientId, error: SIGN_IN_FAILED_MESSAGE }));
    return;
  }
  server.deps.log.info({ userId: user.id, clientId }, 'dev IdP sign-in');
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId: user.id, amr: PASSWORD_AMR, ts: Math.floor(Date.now() / 1000) } },
    { mergeWithLastSubmission: false },
  );
}

/** Grants whatever the consent prompt says is missing; returns the grant id. */
async function grantConsent(server: AuthorizationServer, interaction: Interaction): Promise<string> {
  const { Grant } = server.provider;
  const accountId = interaction.session?.accountId;
  const clientId = interaction.params.client_id;
  if (!accountId || !clientId) throw new errors.InvalidRequest('consent requested without a signed-in user');
  const existing = interaction.grantId ? await Grant.find(interaction.grantId) : undefined;
  const grant = existing ?? new Grant({ accountId, clientId });
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = interaction.prompt.details;
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
  for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
  return grant.save();
}
