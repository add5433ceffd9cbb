import * as client from 'openid-client';
import { validateIdToken } from './id-token.js';
import type { Provider } from './provider-cache.js';

/**
 * Refreshes tokens (OpenID Connect Core 12): the refresh grant, then the ID token the
 * answer may carry, validated like a sign-in's (Core 12.2) and, with `subject`, about
 * that End-User. Throws openid-client's errors when the grant fails (`invalid_grant`:
 * the provider refused the refresh token), TokenRejected when the new ID token is not valid.
 */
export async function refreshTokens(
  provider: Provider,
  /** The client the refresh token was issued to. */
  configuration: client.Configuration,
  refreshToken: string,
  options: { leeway?: number | undefined; subject?: string | undefined } = {},
): Promise<{ tokens: client.TokenEndpointResponse; idClaims: Record<string, unknown> | undefined }> {
  const tokens = await client.refreshTokenGrant(configuration, refreshToken);
  const idClaims = tokens.id_token
    ? await validateIdToken(provider, tokens.id_token, {
        clientId: configuration.clientMetadata().client_id,
        leeway: options.leeway,
        origin: 'token-endpoint',
        subject: options.subject,
      })
    : undefined;
  return { tokens, idClaims };
}
