import { jwtVerify, type JWTPayload } from 'jose';
import type { KoaContextLike, Middleware, Provider, errors } from 'oidc-provider';
import type { Logger } from '../log.js';
import { verifyAccessToken } from './access-tokens.js';
import { finalizeIdToken } from './id-token.js';
import type { AuthorizationServer } from './authorization-server.js';
import { sendBackchannelLogouts, type EndedSession } from './backchannel-logout.js';

/**
 * Koa middleware in front of oidc-provider's router that makes its JSON endpoints answer
 * like Okta's:
 * - token: the ID token gets `at_hash`, Okta's jti and the session's `sid` (and the tamper
 *   switch), see id-token.ts; the session's clients are recorded for back-channel logout;
 * - introspect/revoke: JWT access tokens (which oidc-provider refuses as "structured
 *   tokens") are handled here, after oidc-provider has authenticated the client;
 * - logout confirmation (a user switch): the ended session's clients get back-channel logout tokens;
 * - error bodies use Okta's error descriptions (e.g. 401 invalid_client "No client
 *   credentials found.").
 */

type ProviderError = InstanceType<typeof errors.OIDCProviderError>;

/** The error oidc-provider rendered for a request, recorded from its error events. */
const renderedErrors = new WeakMap<KoaContextLike, ProviderError>();

export function recordErrors(provider: Provider, log: Logger): void {
  for (const event of ['grant.error', 'introspection.error', 'revocation.error', 'authorization.error', 'end_session.error']) {
    provider.on(event, (ctx: KoaContextLike, err: ProviderError) => {
      renderedErrors.set(ctx, err);
      log.debug({ event, error: err.error, detail: err.error_detail }, 'dev IdP request rejected');
    });
  }
  provider.on('server_error', (ctx: KoaContextLike, err: Error) => {
    renderedErrors.set(ctx, err as ProviderError);
    log.error({ err: { message: err.message, stack: err.stack }, path: ctx.path }, 'dev IdP internal error');
  });
  // Koa's own error event (errors outside oidc-provider's handlers, e.g. in oktaCompat):
  // with a listener, Koa no longer prints them to stderr itself.
  provider.on('error', (err: Error & { expose?: boolean }, ctx?: KoaContextLike) => {
    if (err.expose) return;
    log.error({ err: { message: err.message, stack: err.stack }, path: ctx?.path }, 'dev IdP internal error');
  });
}

interface OktaErrorBody {
  status: number;
  error: string;
  error_description: string;
}

/** Okta's answer for an oidc-provider error on the token, introspect or revoke endpoint. */
function oktaError(endpoint: 'token' | 'introspection' | 'revocation', body: { error: string; error_description?: string }, detail: string, grantType: string | undefined): OktaErrorBody | undefined {
  if (body.error === 'invalid_request' && body.error_description === 'no client authentication mechanism provided') {
    return { status: 401, error: 'invalid_client', error_description: 'No client credentials found.' };
  }
  if (body.error === 'invalid_client') {
    if (detail === 'client not found') {
      return { status: 401, error: 'invalid_client', error_description: "Invalid value for 'client_id' parameter." };
    }
    if (detail === 'invalid secret provided') {
      return { status: 401, error: 'invalid_client', error_description: 'The client secret supplied for a confidential client is invalid.' };
    }
    return { status: 401, error: 'invalid_client', error_description: 'Client authentication failed.' };
  }
  if (endpoint === 'token' && body.error === 'invalid_grant') {
    if (grantType === 'refresh_token') {
      return { status: 400, error: 'invalid_grant', error_description: 'The refresh token is invalid or expired.' };
    }
    if (/code_verifier|code_challenge|PKCE/i.test(detail)) return { status: 400, error: 'invalid_grant', error_description: 'PKCE verification failed.' };
    if (/redirect_uri/.test(detail)) {
      return { status: 400, error: 'invalid_grant', error_description: "The 'redirect_uri' does not match the redirection URI used in the authorization request." };
    }
    return { status: 400, error: 'invalid_grant', error_description: 'The authorization code is invalid or has expired.' };
  }
  return undefined;
}

async function signedInSession(server: AuthorizationServer, ctx: KoaContextLike): Promise<EndedSession | undefined> {
  const session = await server.provider.Session.get(ctx);
  return session.accountId ? { uid: session.uid, accountId: session.accountId } : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function oktaCompat(server: AuthorizationServer): Middleware {
  const { routes } = server;
  return async (ctx, next) => {
    // oidc-provider ends a sign-in session itself when another user signs in over it (its
    // logout confirmation, auto-submitted): that session's clients get logout tokens too.
    const confirmingLogout = ctx.method === 'POST' && ctx.path === `${routes.end_session}/confirm` ? await signedInSession(server, ctx) : undefined;
    await next();
    if (confirmingLogout && !(await server.store.adapterFor('Session').findByUid(confirmingLogout.uid))) {
      await sendBackchannelLogouts(server, confirmingLogout);
    }
    const endpoint =
      ctx.path === routes.token ? 'token'
      : ctx.path === routes.introspection ? 'introspection'
      : ctx.path === routes.revocation ? 'revocation'
      : undefined;
    if (!endpoint || ctx.method !== 'POST') return;
    const body = ctx.body;
    if (!isObject(body)) return;
    const client = ctx.oidc?.client;

    // The sign-in session the tokens descend from: its clients get back-channel logout tokens.
    const sessionUid = endpoint === 'token' && ctx.status === 200 ? (ctx.oidc?.entities.AuthorizationCode ?? ctx.oidc?.entities.RefreshToken)?.sessionUid : undefined;
    if (sessionUid && client) server.sessionClients.record(sessionUid, client.clientId);

    if (endpoint === 'token' && ctx.status === 200 && typeof body.id_token === 'string') {
      // Consumed whether or not signing succeeds, so a broken tamper spec cannot stick.
      const tamper = server.deps.switches.tamperNextIdToken;
      delete server.deps.switches.tamperNextIdToken;
      body.id_token = await finalizeIdToken({
        idToken: body.id_token,
        accessToken: typeof body.access_token === 'string' ? body.access_token : undefined,
        sid: sessionUid ? server.sessionSid(sessionUid) : undefined,
        signingKey: server.keys.current,
        previousKey: server.keys.previous,
        tamper,
        clientSecret: client ? server.deps.clients.get(client.clientId)?.client_secret : undefined,
      });
      return;
    }

    // oidc-provider authenticates the client before it refuses a structured (JWT) token,
    // so this error means: authenticated client, JWT token. Answer for it as Okta does.
    if (body.error === 'unsupported_token_type' && client && (endpoint === 'introspection' || endpoint === 'revocation')) {
      const token = ctx.oidc?.params?.token ?? '';
      if (endpoint === 'introspection') {
        ctx.body = await introspectJwt(server, token, client.clientId);
      } else {
        await revokeJwt(server, token, client.clientId);
        ctx.body = '';
      }
      ctx.status = 200;
      return;
    }

    if (endpoint === 'introspection' && ctx.status === 200 && body.active === true) {
      // A refresh token introspected by oidc-provider: Okta's sub is the login, uid the user id.
      const uid = typeof body.sub === 'string' ? body.sub : undefined;
      const user = uid ? server.deps.directory.userById(uid) : undefined;
      delete body.sid;
      ctx.body = { ...body, ...(user ? { sub: user.login, username: user.login, uid } : {}), token_type: 'refresh_token' };
      return;
    }

    if (typeof body.error === 'string') {
      const detail = renderedErrors.get(ctx)?.error_detail ?? '';
      const okta = oktaError(endpoint, body as { error: string; error_description?: string }, detail, ctx.oidc?.params?.grant_type);
      if (okta) {
        ctx.status = okta.status;
        ctx.body = { error: okta.error, error_description: okta.error_description };
      }
    }
  };
}

async function introspectJwt(server: AuthorizationServer, token: string, clientId: string): Promise<Record<string, unknown>> {
  const inactive = { active: false };
  const access = await verifyAccessToken(token, server.accessTokenVerification());
  if (access.valid) {
    const claims = access.claims;
    // A client may introspect only its own tokens.
    if (claims.cid !== clientId) return inactive;
    return {
      active: true,
      scope: claims.scp.join(' '),
      username: claims.sub,
      exp: claims.exp,
      iat: claims.iat,
      sub: claims.sub,
      aud: claims.aud,
      iss: claims.iss,
      jti: claims.jti,
      token_type: 'Bearer',
      client_id: claims.cid,
      uid: claims.uid,
    };
  }
  // Okta also introspects its ID tokens.
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, server.keys.verifier, { issuer: server.issuer, audience: clientId, algorithms: ['RS256'] }));
  } catch {
    return inactive;
  }
  if (Array.isArray(payload.scp)) return inactive;
  return {
    active: true,
    username: payload.preferred_username,
    exp: payload.exp,
    iat: payload.iat,
    sub: payload.sub,
    aud: payload.aud,
    iss: payload.iss,
    jti: payload.jti,
    token_type: 'Bearer',
    client_id: clientId,
  };
}

async function revokeJwt(server: AuthorizationServer, token: string, clientId: string): Promise<void> {
  const access = await verifyAccessToken(token, server.accessTokenVerification());
  // Okta answers 200 whatever the token; only the owner's valid tokens are actually revoked.
  if (access.valid && access.claims.cid === clientId && access.claims.jti && access.claims.exp) {
    server.revoked.revoke(access.claims.jti, access.claims.exp);
  }
}
