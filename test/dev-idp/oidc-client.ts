/**
 * openid-client v6 against the dev IdP, as a relying party would use it: discovery, an
 * authorization request with PKCE, state and nonce, and the code exchange that validates
 * the ID token. Reusable by other tests that need tokens for a user.
 */
import { decodeJwt, decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import type { DevIdp } from '../../src/dev-idp/index.js';
import { CookieJar, signIn } from '../../testkit/browser-flow.js';

export const DEMO_CLIENT_ID = 'gatehouse-demo';
export const DEMO_CLIENT_SECRET = 'gatehouse-demo-secret';
export const DEMO_REDIRECT_URI = 'http://localhost:8000/demo/callback';
export const DEMO_PASSWORD = 'Passw0rd!';

export interface RelyingPartyOptions {
  /** 'default' (default), 'org' or another custom server id. */
  authServer?: string;
  clientId?: string;
  clientSecret?: string;
  /** client_secret_basic (default) or client_secret_post. */
  authMethod?: 'basic' | 'post';
}

export async function discover(idp: DevIdp, options: RelyingPartyOptions = {}): Promise<client.Configuration> {
  const auth = options.authMethod === 'post' ? client.ClientSecretPost(options.clientSecret ?? DEMO_CLIENT_SECRET) : client.ClientSecretBasic(options.clientSecret ?? DEMO_CLIENT_SECRET);
  return client.discovery(new URL(idp.issuer(options.authServer ?? 'default')), options.clientId ?? DEMO_CLIENT_ID, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export async function buildAuthorization(
  config: client.Configuration,
  options: { scope?: string; redirectUri?: string; extra?: Record<string, string> } = {},
): Promise<AuthorizationRequest> {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const redirectUri = options.redirectUri ?? DEMO_REDIRECT_URI;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: options.scope ?? 'openid profile email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...options.extra,
  });
  return { url, state, nonce, codeVerifier, redirectUri };
}

export async function exchangeCode(config: client.Configuration, request: AuthorizationRequest, callbackUrl: URL) {
  return client.authorizationCodeGrant(config, callbackUrl, {
    pkceCodeVerifier: request.codeVerifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
    idTokenExpected: true,
  });
}

/**
 * The token endpoint's raw answer for a code, without openid-client's checks: for tests
 * that need a token a relying party would reject (expired, forged, wrong claims).
 */
export async function rawCodeExchange(
  config: client.Configuration,
  request: AuthorizationRequest,
  callbackUrl: URL,
  credentials: { clientId?: string; clientSecret?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const basic = Buffer.from(`${encodeURIComponent(credentials.clientId ?? DEMO_CLIENT_ID)}:${encodeURIComponent(credentials.clientSecret ?? DEMO_CLIENT_SECRET)}`).toString('base64');
  const res = await fetch(config.serverMetadata().token_endpoint ?? '', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${basic}` },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: callbackUrl.searchParams.get('code') ?? '',
      redirect_uri: request.redirectUri,
      code_verifier: request.codeVerifier,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Signs in through the form and returns the token endpoint's raw answer (see rawCodeExchange). */
export async function signInRaw(
  idp: DevIdp,
  options: RelyingPartyOptions & { username: string; password?: string; scope?: string; jar?: CookieJar },
): Promise<{ status: number; body: Record<string, unknown>; jar: CookieJar; request: AuthorizationRequest; config: client.Configuration }> {
  const config = await discover(idp, options);
  const request = await buildAuthorization(config, { scope: options.scope });
  const { callbackUrl, jar } = await signIn({ authorizeUrl: request.url, username: options.username, password: options.password ?? DEMO_PASSWORD, jar: options.jar });
  return { ...(await rawCodeExchange(config, request, callbackUrl, options)), jar, request, config };
}

export interface SignedIn {
  tokens: Awaited<ReturnType<typeof exchangeCode>>;
  claims: client.IDToken;
  request: AuthorizationRequest;
  jar: CookieJar;
  config: client.Configuration;
}

/** Signs `username` in through the HTML form and exchanges the code; the ID token is validated by openid-client. */
export async function signInAndExchange(
  idp: DevIdp,
  options: RelyingPartyOptions & { username: string; password?: string; scope?: string; jar?: CookieJar; config?: client.Configuration },
): Promise<SignedIn> {
  const config = options.config ?? (await discover(idp, options));
  const request = await buildAuthorization(config, { scope: options.scope });
  const { callbackUrl, jar } = await signIn({
    authorizeUrl: request.url,
    username: options.username,
    password: options.password ?? DEMO_PASSWORD,
    jar: options.jar,
  });
  const tokens = await exchangeCode(config, request, callbackUrl);
  const claims = tokens.claims();
  if (!claims) throw new Error('no ID token claims');
  return { tokens, claims, request, jar, config };
}

/** A JWT's header and payload, unverified (assertions on what was issued). */
export function decodeJwtParts(jwt: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  return { header: decodeProtectedHeader(jwt) as Record<string, unknown>, payload: decodeJwt(jwt) as Record<string, unknown> };
}
