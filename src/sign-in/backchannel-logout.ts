import type { FastifyInstance } from 'fastify';
import { LRUCache } from 'lru-cache';
import { endProviderSession, endUserSessions } from '../identity/organization-session.js';
import { validateLogoutToken } from '../oidc/logout-token.js';
import { describe } from '../oidc/provider-cache.js';
import { TokenRejected } from '../oidc/token-verification.js';
import type { SignInContext } from './context.js';

/**
 * OpenID Connect Back-Channel Logout 1.0: the provider tells Gatehouse that a session
 * ended there, and the organization sessions it started end too.
 */
export function registerBackchannelLogout(scope: FastifyInstance, context: SignInContext): void {
  const { deps, log } = context;
  /** Logout token ids seen in the last ten minutes (tokens older than that fail `exp`/`iat` anyway). */
  const seenLogoutTokens = new LRUCache<string, true>({ max: 100_000, ttl: 10 * 60_000 });

  scope.post<{ Params: { loginPath: string }; Body: Record<string, string> }>('/login/:loginPath/backchannel-logout', async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const organization = await context.loadOrganization(request.params.loginPath);
    const settings = organization ? await deps.store.identitySettings(organization.id) : undefined;
    const token = (request.body as Record<string, string> | undefined)?.logout_token;
    if (!organization || !settings || typeof token !== 'string') {
      return reply.code(400).send({ error: 'invalid_request', error_description: 'a logout_token is required' });
    }
    try {
      const provider = await context.providerFor(settings);
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
      await context.audit(organization, 'sign_out.backchannel', 'success', null, { sessions_ended: ended });
      return reply.code(200).send();
    } catch (error) {
      log.info({ reason: describe(error) }, 'back-channel logout token rejected');
      return reply.code(400).send({ error: 'invalid_request', error_description: 'the logout token is not valid' });
    }
  });
}
