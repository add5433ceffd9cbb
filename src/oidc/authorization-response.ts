import * as client from 'openid-client';
import type { PendingAuthorization } from './authorization-request.js';
import { validateIdToken } from './id-token.js';
import type { Provider } from './provider-cache.js';

/** A sign-in the provider confirmed: its tokens and the End-User the ID token names. */
export interface CompletedAuthorization {
  /** The token endpoint's answer (OIDC Core 3.1.3.3), with an ID token. */
  tokens: client.TokenEndpointResponse;
  /** The ID token's claims, validated (Core 3.1.3.7). */
  idClaims: Record<string, unknown>;
  /** The ID token's `sub`. */
  subject: string;
  /**
   * Fetches the UserInfo claims (Core 5.3) with the new access token; an answer about
   * another End-User than the ID token's is refused (Core 5.3.2). Undefined when the
   * provider has no userinfo endpoint. Each call asks the provider.
   */
  userinfo: (() => Promise<Record<string, unknown>>) | undefined;
}

/**
 * Completes an authorization code flow (OIDC Core 3.1.2.5 to 3.1.3.7): checks the
 * authentication response against the pending request (RFC 9207 `iss` and `state`
 * before anything else, error responses included), redeems the code with its PKCE
 * verifier, and validates the ID token — openid-client checks its claims and `nonce`,
 * and validateIdToken checks the signature too, although the token comes straight
 * from the token endpoint (Core 3.1.3.7 without the TLS shortcut).
 *
 * Throws what the provider answered instead (see providerErrorResponse) or why its
 * answer is not valid.
 */
export async function completeAuthorization(
  provider: Provider,
  /** The client the authorization was started for (its id is the ID token's audience). */
  configuration: client.Configuration,
  pending: PendingAuthorization,
  /** The query of the request the provider redirected the browser to. */
  query: URLSearchParams,
  options: {
    leeway?: number | undefined;
    /** Runs each call to the provider (token and userinfo endpoints), e.g. to time it. */
    callProvider?: <T>(call: () => Promise<T>) => Promise<T>;
  } = {},
): Promise<CompletedAuthorization> {
  const callProvider = options.callProvider ?? ((call) => call());
  const tokens = await callProvider(() =>
    client.authorizationCodeGrant(configuration, callbackUrl(pending, query), {
      pkceCodeVerifier: pending.code_verifier,
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    }),
  );
  const idClaims = await validateIdToken(provider, tokens.id_token!, {
    clientId: configuration.clientMetadata().client_id,
    leeway: options.leeway,
    // A channel Gatehouse opened: an unknown key means the provider rotated.
    origin: 'token-endpoint',
  });
  const subject = idClaims.sub as string;
  return {
    tokens,
    idClaims,
    subject,
    userinfo: provider.metadata.userinfo_endpoint
      ? async () => (await callProvider(() => client.fetchUserInfo(configuration, tokens.access_token, subject))) as Record<string, unknown>
      : undefined,
  };
}

/**
 * An OAuth error the provider answered with, where the flow can meet one: in the
 * authentication response the browser brought back (OIDC Core 3.1.2.6), or in an
 * endpoint's answer such as the token endpoint's (Core 3.1.3.4). Undefined for any
 * other failure (an answer that did not validate, a network error).
 */
export interface ProviderErrorResponse {
  in: 'authentication-response' | 'endpoint-response';
  error: string;
  error_description: string | undefined;
}

export function providerErrorResponse(failure: unknown): ProviderErrorResponse | undefined {
  if (failure instanceof client.AuthorizationResponseError) {
    return { in: 'authentication-response', error: failure.error, error_description: failure.error_description };
  }
  if (failure instanceof client.ResponseBodyError) {
    return { in: 'endpoint-response', error: failure.error, error_description: failure.error_description };
  }
  return undefined;
}

/**
 * The URL the provider redirected to, rebuilt from the registered redirect URI and
 * the request's query, so scheme and host are the ones the provider knows even
 * behind another proxy.
 */
function callbackUrl(pending: PendingAuthorization, query: URLSearchParams): URL {
  const url = new URL(pending.redirect_uri);
  url.search = query.toString();
  return url;
}
