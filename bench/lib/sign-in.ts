import { performance } from 'node:perf_hooks';
import * as client from 'openid-client';
import { Agent, request } from 'undici';
// The tests' headless browser (cookie jar, manual redirects, the stand-in's HTML form):
// the bench signs in exactly as the end-to-end tests do.
import { CookieJar, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { BENCH_CLIENT, TOKEN_REDIRECT_URI, USER } from './stack.js';

/** A signed-in browser's `Cookie` header for `url`, after checking that the session works there. */
async function cookieFor(jar: CookieJar, url: string, cookieName: string): Promise<string> {
  if (!jar.names(new URL(url).hostname).includes(cookieName)) throw new Error(`the sign-in set no ${cookieName} cookie`);
  const cookie = jar.header(new URL(url))!;
  const check = await fetch(url, { headers: { cookie }, redirect: 'manual' });
  await check.arrayBuffer();
  if (check.status !== 200) throw new Error(`${url} answered ${check.status} with the new session cookie`);
  return cookie;
}

/** The authorization code flow through an openid-connect route; returns the session cookie. */
export async function signInToRoute(proxy: string, path: string): Promise<string> {
  const flow = await signInFlow(proxy, path);
  if (!flow.ok) throw new Error(`signing in at ${path} failed: ${flow.error}`);
  return cookieFor(flow.jar, `${proxy}${path}`, 'session');
}

/** An organization sign-in (`/login/{path}`, Okta through the stand-in); returns the `gatehouse_session` cookie. */
export async function signInToOrganization(proxy: string, loginPath: string, protectedPath: string): Promise<string> {
  const jar = new CookieJar();
  const start = await browserFetch(jar, `${proxy}/login/${loginPath}`);
  if (start.status !== 302) throw new Error(`/login/${loginPath} answered ${start.status}`);
  const { callbackUrl } = await signIn({
    authorizeUrl: new URL(start.headers.get('location')!),
    username: USER.username,
    password: USER.password,
    jar,
    isCallback: (url) => url.origin === proxy,
  });
  const callback = await browserFetch(jar, callbackUrl);
  await callback.arrayBuffer();
  if (callback.status !== 302 && callback.status !== 303) throw new Error(`the organization callback answered ${callback.status}`);
  return cookieFor(jar, `${proxy}${protectedPath}`, 'gatehouse_session');
}

/** An access token (RS256 JWT, `aud` api://default) for the bench's client, straight from the stand-in. */
export async function accessToken(issuer: string): Promise<string> {
  const configuration = await client.discovery(new URL(issuer), BENCH_CLIENT.id, undefined, client.ClientSecretBasic(BENCH_CLIENT.secret), {
    execute: [client.allowInsecureRequests],
  });
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizeUrl = client.buildAuthorizationUrl(configuration, {
    redirect_uri: TOKEN_REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  });
  const { callbackUrl } = await signIn({ authorizeUrl, username: USER.username, password: USER.password });
  const tokens = await client.authorizationCodeGrant(configuration, callbackUrl, { pkceCodeVerifier: codeVerifier, expectedState: state });
  return tokens.access_token;
}

export type SignInFlow =
  | {
      ok: true;
      jar: CookieJar;
      /** The whole flow, as the browser sees it. */
      totalMs: number;
      /** The first request: the gateway answers with the redirect to the provider. */
      startMs: number;
      /** The callback request, as the browser sees it (the gateway, and its calls to the provider). */
      callbackMs: number;
      /** From the callback's Server-Timing: the gateway's calls to the provider, and its own time. */
      providerCallsMs: number | undefined;
      gatewayOwnMs: number | undefined;
    }
  | { ok: false; error: string; jar: CookieJar };

/**
 * One whole sign-in through an openid-connect route, as a browser without cookies
 * does it: the protected page redirects to the stand-in, the user signs in with the
 * form, the stand-in redirects to the callback, and the callback answers with the
 * session cookie and a redirect back to the page.
 */
export async function signInFlow(proxy: string, path: string): Promise<SignInFlow> {
  const jar = new CookieJar();
  try {
    const began = performance.now();
    const start = await gatewayGet(jar, `${proxy}${path}`);
    const startMs = performance.now() - began;
    if (start.status !== 302 || !start.location) return { ok: false, error: `the protected page answered ${start.status}`, jar };
    const { callbackUrl } = await signIn({
      authorizeUrl: new URL(start.location),
      username: USER.username,
      password: USER.password,
      jar,
      isCallback: (url) => url.origin === proxy,
    });
    const callbackBegan = performance.now();
    const callback = await gatewayGet(jar, callbackUrl);
    const ended = performance.now();
    if (callback.status !== 302 || !jar.names().includes('session')) {
      return { ok: false, error: `the callback answered ${callback.status}`, jar };
    }
    const timing = parseServerTiming(callback.serverTiming);
    return {
      ok: true,
      jar,
      totalMs: ended - began,
      startMs,
      callbackMs: ended - callbackBegan,
      providerCallsMs: timing.get('idp'),
      gatewayOwnMs: timing.get('gatehouse'),
    };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error), jar };
  }
}

/**
 * The flow's two requests to the gateway, as a browser makes them (cookies, no
 * redirects followed), over undici's keep-alive pool: fetch's own overhead (about a
 * millisecond a request here) would be counted as the gateway's share.
 */
async function gatewayGet(jar: CookieJar, url: string | URL): Promise<{ status: number; location: string | undefined; serverTiming: string | null }> {
  const target = new URL(url);
  const cookie = jar.header(target);
  const response = await request(target, {
    dispatcher: gatewayAgent,
    headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8', ...(cookie ? { cookie } : {}) },
  });
  await response.body.dump();
  const header = (name: string): string | undefined => {
    const value = response.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const setCookie = response.headers['set-cookie'];
  jar.store(target, setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie]);
  return { status: response.statusCode, location: header('location'), serverTiming: header('server-timing') ?? null };
}

const gatewayAgent = new Agent({ keepAliveTimeout: 10_000 });

/** W3C Server-Timing: `name;dur=1.2;desc="…", other;dur=3` → name → milliseconds. */
export function parseServerTiming(header: string | null): Map<string, number> {
  const metrics = new Map<string, number>();
  for (const entry of (header ?? '').split(',')) {
    const [name, ...parameters] = entry.split(';').map((part) => part.trim());
    const duration = parameters.find((parameter) => parameter.startsWith('dur='));
    if (name && duration) metrics.set(name, Number(duration.slice(4)));
  }
  return metrics;
}
