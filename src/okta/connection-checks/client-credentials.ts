import * as client from 'openid-client';
import { z } from 'zod';
import { describeNetworkError } from '../errors.js';
import { fail, pass, requestSignal, type CheckContext, type ConnectionCheck } from './check.js';

/**
 * The client_credentials check: the token endpoint authenticates the client ID and
 * secret, told apart from every other answer without ever being able to get a token.
 */

/**
 * The authorization code the client_credentials check presents. It can never be valid, so
 * the token endpoint's answer tells only whether it authenticated the client first.
 */
export const CONNECTION_TEST_CODE = 'gatehouse-connection-test';

export type TokenEndpointVerdict =
  /** The client was not authenticated: wrong client ID or secret, or the wrong method. */
  | 'invalid_client'
  /** The client authenticated; only the test code (or another request detail) was refused. */
  | 'authenticated'
  /** The client authenticated but may not use the authorization code grant. */
  | 'grant_not_allowed'
  /** Tokens were issued for the made-up code: not an authorization server to trust. */
  | 'accepted_test_code'
  /** No OAuth answer (5xx, HTML, …): nothing can be concluded. */
  | 'unexpected';

export interface TokenEndpointAnswer {
  verdict: TokenEndpointVerdict;
  /** The OAuth `error` (or Okta's `errorCode` on its org-level error shape). */
  error?: string;
  description?: string;
}

const oauthErrorSchema = z.object({ error: z.string().min(1), error_description: z.string().optional().catch(undefined) });
/** Okta answers an unknown client_id in its API error shape: `{errorCode: "invalid_client", errorSummary}`. */
const oktaOauthErrorSchema = z.object({ errorCode: z.string().min(1), errorSummary: z.string().optional().catch(undefined) });

/**
 * What the token endpoint's answer to the test code says about the client credentials.
 * RFC 6749 section 5.2: `invalid_client` (401, or 400) means client authentication failed;
 * a server authenticates the client before it looks at the grant, so any other OAuth error
 * means the credentials were accepted. `unauthorized_client` is kept apart: the credentials
 * are fine but sign-in would still fail.
 */
export function interpretTokenEndpointAnswer(status: number, body: unknown): TokenEndpointAnswer {
  const oauth = oauthErrorSchema.safeParse(body);
  const okta = oauth.success ? undefined : oktaOauthErrorSchema.safeParse(body);
  const error = oauth.success ? oauth.data.error : okta?.success ? okta.data.errorCode : undefined;
  const description = oauth.success ? oauth.data.error_description : okta?.success ? okta.data.errorSummary : undefined;
  const said = { ...(error ? { error } : {}), ...(description ? { description } : {}) };

  if (status >= 200 && status < 300) {
    const issued = typeof body === 'object' && body !== null && 'access_token' in body;
    return issued ? { verdict: 'accepted_test_code' } : { verdict: 'unexpected' };
  }
  if (error === 'invalid_client') return { verdict: 'invalid_client', ...said };
  // A 401 from a token endpoint is a failed client authentication even without a body.
  if (error === undefined && status === 401) return { verdict: 'invalid_client' };
  if (error === 'unauthorized_client') return { verdict: 'grant_not_allowed', ...said };
  if (error !== undefined && status >= 400 && status < 500) return { verdict: 'authenticated', ...said };
  return { verdict: 'unexpected', ...said };
}

function quoted(answer: TokenEndpointAnswer): string {
  if (!answer.error) return '';
  return answer.description ? `${answer.error}: "${answer.description}"` : answer.error;
}

export async function checkClientCredentials(context: CheckContext, metadata: client.ServerMetadata): Promise<{ check: ConnectionCheck }> {
  const { settings } = context;
  const tokenEndpoint = metadata.token_endpoint as string;
  const method = settings.token_endpoint_auth_method ?? 'client_secret_basic';
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: CONNECTION_TEST_CODE, redirect_uri: settings.redirect_uri });
  const headers = new Headers({ Accept: 'application/json', 'Content-Type': 'application/x-www-form-urlencoded' });
  // openid-client's own client authentication, so the credentials are encoded exactly as
  // sign-in will send them (RFC 6749 2.3.1 form-encoding inside HTTP Basic).
  const authenticate = method === 'client_secret_post' ? client.ClientSecretPost(settings.client_secret) : client.ClientSecretBasic(settings.client_secret);
  authenticate(metadata, { client_id: settings.client_id }, body, headers);

  let status: number;
  let parsed: unknown;
  try {
    const response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers,
      body,
      // A token endpoint that redirects must not get the credentials re-posted elsewhere.
      redirect: 'manual',
      signal: requestSignal(context),
    });
    status = response.status;
    const text = await response.text();
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  } catch (error) {
    return { check: fail('client_credentials', `Could not reach the token endpoint ${tokenEndpoint}: ${describeNetworkError(error, context.timeoutMs)}.`) };
  }

  const answer = interpretTokenEndpointAnswer(status, parsed);
  const where = context.okta ? 'the app in Okta (Applications > your app > General > Client Credentials)' : 'the client registered at the provider';
  switch (answer.verdict) {
    case 'invalid_client':
      return {
        check: fail(
          'client_credentials',
          `invalid_client: the token endpoint refused the client ID and secret (HTTP ${status}${answer.error ? `, ${quoted(answer)}` : ''}). Copy client_id and client_secret again from ${where}; its client authentication must be "client secret" sent as ${method === 'client_secret_post' ? 'POST parameters (client_secret_post)' : 'HTTP Basic (client_secret_basic)'}.`,
        ),
      };
    case 'authenticated':
      return {
        check: pass(
          'client_credentials',
          `The token endpoint accepted the client ID and secret: it answered ${quoted(answer)} for Gatehouse's made-up test code, not invalid_client.`,
        ),
      };
    case 'grant_not_allowed':
      return {
        check: fail(
          'client_credentials',
          `The client ID and secret were accepted, but the client may not use the authorization code grant (${quoted(answer)}), so sign-in would fail. In ${where}, allow the Authorization Code grant type (an OIDC Web application).`,
        ),
      };
    case 'accepted_test_code':
      return { check: fail('client_credentials', `The token endpoint issued tokens for a made-up authorization code; it cannot be trusted as an authorization server.`) };
    default:
      return {
        check: fail(
          'client_credentials',
          `Could not tell whether the client ID and secret are right: the token endpoint answered HTTP ${status}${answer.error ? ` (${quoted(answer)})` : ' without an OAuth error'}, neither invalid_client nor another OAuth error.`,
        ),
      };
  }
}
