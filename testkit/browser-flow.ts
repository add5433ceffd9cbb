/**
 * A minimal browser for signing in at the dev IdP (or any server that speaks plain HTML
 * forms and redirects): a cookie jar, manual redirects, and a form parser. The tests and
 * the benchmarks use it to sign in as a user:
 *
 *   const { callbackUrl, jar } = await signIn({ authorizeUrl, username: 'alice@example.com', password: 'Passw0rd!' });
 *   // callbackUrl: the redirect back to the app, with code, state and iss (or error)
 *
 * Pass the same `jar` again to test SSO (`authorizeWithSession`) and logout (`browserFetch`).
 */

interface StoredCookie {
  name: string;
  value: string;
  host: string;
  path: string;
  /** epoch ms */
  expires?: number;
}

export class CookieJar {
  readonly #cookies = new Map<string, StoredCookie>();

  /** Stores the `Set-Cookie` headers of a response to `url`. */
  store(url: URL, setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: StoredCookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        host: url.hostname,
        // RFC 6265 default-path: the request path up to its last slash.
        path: url.pathname.slice(0, url.pathname.lastIndexOf('/')) || '/',
      };
      for (const attribute of attributes) {
        const [rawKey = '', ...rest] = attribute.split('=');
        const key = rawKey.trim().toLowerCase();
        const value = rest.join('=').trim();
        if (key === 'path' && value.startsWith('/')) cookie.path = value;
        if (key === 'expires') cookie.expires = Date.parse(value);
        if (key === 'max-age') cookie.expires = Date.now() + Number(value) * 1000;
      }
      const key = `${cookie.host}|${cookie.path}|${cookie.name}`;
      if (cookie.expires !== undefined && cookie.expires <= Date.now()) this.#cookies.delete(key);
      else this.#cookies.set(key, cookie);
    }
  }

  /** The `Cookie` header a browser would send to `url`. */
  header(url: URL): string | undefined {
    const now = Date.now();
    const matching = [...this.#cookies.values()].filter(
      (cookie) =>
        cookie.host === url.hostname &&
        (cookie.expires === undefined || cookie.expires > now) &&
        (url.pathname === cookie.path || url.pathname.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`)),
    );
    // Longer paths first, as browsers order them.
    matching.sort((a, b) => b.path.length - a.path.length);
    return matching.length ? matching.map((cookie) => `${cookie.name}=${cookie.value}`).join('; ') : undefined;
  }

  /** Cookie names currently held for `host` (handy in assertions). */
  names(host?: string): string[] {
    return [...this.#cookies.values()].filter((cookie) => !host || cookie.host === host).map((cookie) => cookie.name);
  }

  clear(): void {
    this.#cookies.clear();
  }
}

/** One request with the jar's cookies, redirects not followed. */
export async function browserFetch(
  jar: CookieJar,
  url: string | URL,
  init: { method?: string; form?: Record<string, string> | URLSearchParams } = {},
): Promise<Response> {
  const target = new URL(url);
  const headers: Record<string, string> = { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
  const cookie = jar.header(target);
  if (cookie) headers.Cookie = cookie;
  let body: string | undefined;
  if (init.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form as Record<string, string>).toString();
  }
  const response = await fetch(target, { method: init.method ?? (body ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
  jar.store(target, response.headers.getSetCookie());
  return response;
}

export interface HtmlForm {
  action: URL;
  method: string;
  fields: Record<string, string>;
  hasPassword: boolean;
}

function decodeEntities(value: string): string {
  return value
    .replace(/&#x([0-9a-f]+);/gi, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec: string) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s>]+))`, 'i').exec(tag);
  const value = match?.[1] ?? match?.[2] ?? match?.[3];
  return value === undefined ? undefined : decodeEntities(value);
}

/** The first form of an HTML page, with its inputs' names and values. */
export function parseForm(html: string, pageUrl: URL): HtmlForm | undefined {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const tag = form[0].slice(0, form[0].indexOf('>') + 1);
  const fields: Record<string, string> = {};
  let hasPassword = false;
  for (const input of form[1]?.match(/<input\b[^>]*>/gi) ?? []) {
    const name = attribute(input, 'name');
    if (attribute(input, 'type')?.toLowerCase() === 'password') hasPassword = true;
    if (name) fields[name] = attribute(input, 'value') ?? '';
  }
  return {
    action: new URL(attribute(tag, 'action') ?? pageUrl.href, pageUrl),
    method: (attribute(tag, 'method') ?? 'GET').toUpperCase(),
    fields,
    hasPassword,
  };
}

/** The error text a sign-in page shows (the dev IdP marks it with role="alert"). */
export function pageError(html: string): string | undefined {
  const match = /<[^>]+role="alert"[^>]*>([\s\S]*?)<\/[a-z]+>/i.exec(html);
  return match?.[1] ? decodeEntities(match[1].replace(/<[^>]+>/g, '')).trim() : undefined;
}

export class BrowserFlowError extends Error {
  constructor(
    message: string,
    readonly url: URL,
    readonly status: number,
    readonly body: string,
  ) {
    super(message);
    this.name = 'BrowserFlowError';
  }
}

export interface SignInOptions {
  /** The app's authorization request URL (e.g. openid-client's buildAuthorizationUrl). */
  authorizeUrl: string | URL;
  username: string;
  password: string;
  /** Reuse a jar to keep the IdP session (SSO, logout tests); a fresh one otherwise. */
  jar?: CookieJar;
  /** Recognises the app's callback; default: the first redirect that leaves the IdP's origin. */
  isCallback?: (url: URL) => boolean;
}

export interface SignInResult {
  /** The redirect back to the app, with `code`, `state`, `iss` (or `error`, `error_description`). */
  callbackUrl: URL;
  jar: CookieJar;
  /** False when an existing IdP session answered without showing the sign-in form. */
  signInFormShown: boolean;
}

const MAX_STEPS = 25;

async function runFlow(options: {
  authorizeUrl: string | URL;
  credentials?: { username: string; password: string };
  jar?: CookieJar;
  isCallback?: (url: URL) => boolean;
}): Promise<SignInResult> {
  const jar = options.jar ?? new CookieJar();
  let url = new URL(options.authorizeUrl);
  const idpOrigin = url.origin;
  const isCallback = options.isCallback ?? ((candidate: URL) => candidate.origin !== idpOrigin);
  let request: { method?: string; form?: Record<string, string> } = {};
  let signInFormShown = false;
  let submitted = false;

  for (let step = 0; step < MAX_STEPS; step += 1) {
    const response = await browserFetch(jar, url, request);
    request = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      const next = new URL(location, url);
      if (isCallback(next)) return { callbackUrl: next, jar, signInFormShown };
      url = next;
      continue;
    }
    const body = await response.text();
    if (response.status !== 200) {
      throw new BrowserFlowError(`${response.status} from ${url.origin}${url.pathname}: ${pageError(body) ?? body.slice(0, 200)}`, url, response.status, body);
    }
    const form = parseForm(body, url);
    if (!form) throw new BrowserFlowError(`no form and no redirect at ${url.origin}${url.pathname}`, url, response.status, body);

    if (form.hasPassword) {
      signInFormShown = true;
      if (!options.credentials) throw new BrowserFlowError('the IdP asks for a sign-in but no credentials were given', url, response.status, body);
      if (submitted) throw new BrowserFlowError(`sign-in failed: ${pageError(body) ?? 'the form came back'}`, url, response.status, body);
      submitted = true;
      request = { method: 'POST', form: { ...form.fields, username: options.credentials.username, password: options.credentials.password } };
    } else {
      // An auto-submitting form (oidc-provider's form_post pages, e.g. the logout confirmation when another user signs in).
      if (isCallback(form.action)) {
        const callbackUrl = new URL(form.action);
        for (const [name, value] of Object.entries(form.fields)) callbackUrl.searchParams.set(name, value);
        return { callbackUrl, jar, signInFormShown };
      }
      request = { method: form.method, form: form.fields };
    }
    url = form.action;
  }
  throw new BrowserFlowError(`more than ${MAX_STEPS} steps`, url, 0, '');
}

/** Follows an authorization request through the sign-in form to the app's callback. */
export function signIn(options: SignInOptions): Promise<SignInResult> {
  return runFlow({
    authorizeUrl: options.authorizeUrl,
    credentials: { username: options.username, password: options.password },
    jar: options.jar,
    isCallback: options.isCallback,
  });
}

/** Follows an authorization request with an existing IdP session (SSO); fails if the IdP asks for a sign-in. */
export function authorizeWithSession(options: { authorizeUrl: string | URL; jar: CookieJar; isCallback?: (url: URL) => boolean }): Promise<SignInResult> {
  return runFlow(options);
}
