import * as client from 'openid-client';
import type { Provider } from './provider-cache.js';

/**
 * Where to send the browser so the provider ends its session too (OpenID Connect
 * RP-Initiated Logout 1.0, section 2), or undefined when the provider has no
 * `end_session_endpoint`. `id_token_hint` names the session to end and lets the
 * provider trust `post_logout_redirect_uri`, which must be registered there.
 */
export function endSessionUrl(
  provider: Provider,
  configuration: client.Configuration,
  request: {
    idTokenHint: string;
    postLogoutRedirectUri?: string | undefined;
    /** A random `state` for the provider to send back, for a caller that tells its returning browsers by it. */
    withState?: boolean;
  },
): string | undefined {
  if (!provider.metadata.end_session_endpoint) return undefined;
  const parameters: Record<string, string> = { id_token_hint: request.idTokenHint };
  if (request.postLogoutRedirectUri) parameters.post_logout_redirect_uri = request.postLogoutRedirectUri;
  if (request.withState) parameters.state = client.randomState();
  return client.buildEndSessionUrl(configuration, parameters).href;
}
