import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../log.js';
import type { Assets } from './assets.js';
import type { CsrfGuard } from './csrf.js';
import { csrfField, field, formAlert, type FormErrors } from './forms.js';
import { html, httpUrl, type SafeHtml } from './html.js';
import { sameSitePath } from '../web/same-site.js';
import { layout } from './layout.js';
import { adminFor, sendHtml } from './page.js';
import { whoIsSignedIn } from './signed-in.js';
import { call, errorBodyOf, setCookiesOf, type ErrorBody, type InProcessServer } from './upstream.js';
import { SIGN_IN_DEACTIVATED, SIGN_IN_INVALID, SIGN_IN_SSO_ONLY, SIGN_IN_THROTTLED, SIGN_IN_UNKNOWN_ORGANIZATION } from '../sign-in/error-codes.js';

/**
 * Signing in and out of the console.
 *
 * There is one sign-in for all of Gatehouse: the proxy's organization sign-in
 * endpoints (src/sign-in/), which set the `gatehouse_session`
 * cookie. The console does not reimplement them (their password check, throttling
 * and audit live there): it calls them in-process and relays their
 * `Set-Cookie`. Cookies ignore ports, so the cookie the console relays for its host
 * is the one the proxy reads on the same host, and the other way round.
 *
 * - Password: `POST /login/{login_path}/password` (JSON) with the client's address,
 *   so the proxy's per-address throttling still sees each person.
 * - Okta: the browser is sent to the proxy's `{GATEHOUSE_PUBLIC_URL}/login/{login_path}`,
 *   which runs the authorization code flow on its own origin (where Okta's redirect
 *   URI points).
 * - Sign-out: `POST /logout`, then back to this page (or on to Okta's end-session
 *   endpoint when the organization uses single logout).
 */

/** What the console needs to know about an organization before anyone signs in. */
export interface OrganizationSummary {
  name: string;
  login_path: string;
  sso_enabled: boolean;
}

export interface OrganizationLookup {
  byLoginPath(loginPath: string): Promise<OrganizationSummary | undefined>;
}

export interface SignInEnvironment {
  admin: InProcessServer;
  proxy: InProcessServer;
  csrf: CsrfGuard;
  assets: Assets;
  organizations: OrganizationLookup;
  publicUrl: () => string;
  log: Logger;
}

const FORM = 'sign-in';
const LOGIN_PATH = /^[a-z0-9_-]{3,64}$/;
const LOGIN_PATH_HINT = 'The part after /login/ in your organization’s sign-in address, for example acme.';

/**
 * A login path as people may type it: `acme`, `/acme`, `/login/acme` or the whole
 * sign-in address. Undefined when it cannot be one (same rules as the proxy's).
 */
export function loginPathFrom(input: string): string | undefined {
  let text = input.trim();
  const url = httpUrl(text);
  if (url) text = new URL(url).pathname;
  text = text.replace(/^\/+/, '').replace(/^login\//i, '').replace(/\/+$/, '').toLowerCase();
  return LOGIN_PATH.test(text) ? text : undefined;
}

/** Messages for sign-ins that failed at Okta, for `/?error=CODE` (fixed texts: nothing from the URL is shown). */
const OKTA_ERRORS: Record<string, string> = {
  'no-mapped-group': 'Your Okta groups give you no role in this organization. Ask one of its administrators to add you to a group that is mapped to a role.',
  deactivated: 'Your account is deactivated. Ask an administrator of your organization to reactivate it.',
  'access-denied': 'Okta did not let you into this application. Ask your Okta administrator to assign you to it.',
  failed: 'The sign-in with Okta could not be completed (Okta’s answer was refused). Try again; if it persists, an administrator can see why in the audit log.',
  'groups-unavailable': 'Your Okta groups could not be read, so your roles are unknown. Try again shortly; if it persists, ask an administrator to check the organization’s Okta API token.',
  'no-email': 'Okta sent no email address for your account. Ask an administrator to check the organization’s claim settings.',
  'email-taken': 'Another account of this organization already uses your email address. Ask an administrator.',
  'groups-claim-every-scope':
    'Okta refused to sign you in: you are in more than 100 Okta groups, and this organization’s Okta authorization server puts the groups claim in every sign-in, so no retry can avoid Okta’s limit. Ask an administrator to change the groups claim in Okta (Security › API › Authorization Servers › Claims › groups): “Include in” must be “The following scopes: groups”, with groups added to the organization’s scopes in Gatehouse. Gatehouse then reads your groups from Okta’s API.',
  'groups-over-limit':
    'Okta refused to sign you in: you are in more than 100 Okta groups, more than Okta puts in a sign-in. Ask an administrator to set an Okta API token in the organization’s identity settings, so Gatehouse can read your groups from Okta’s API.',
};

interface SignInView {
  organization?: string | undefined;
  known?: OrganizationSummary | undefined;
  email?: string | undefined;
  returnTo?: string | undefined;
  notice?: string | undefined;
  errors?: FormErrors;
}

export function registerSignIn(app: FastifyInstance, environment: SignInEnvironment): void {
  const { csrf, assets, organizations, log } = environment;

  const lookUp = async (input: string | undefined) => {
    const path = input ? loginPathFrom(input) : undefined;
    return path ? organizations.byLoginPath(path) : undefined;
  };

  function render(request: FastifyRequest, reply: FastifyReply, status: number, view: SignInView) {
    const token = csrf.token(request, reply);
    const errors = view.errors ?? {};
    const fieldErrors = errors.fields ?? {};
    const okta = view.known?.sso_enabled ? new URL(`/login/${view.known.login_path}`, environment.publicUrl()).href : undefined;
    // Focus where the person has to act: the first field in error, the password after a
    // refusal (described by the alert, so a screen reader reads the reason with it), else the first empty field.
    const focus =
      (['organization', 'email', 'password'] as const).find((name) => fieldErrors[name]) ??
      (errors.form ? 'password' : !view.organization ? 'organization' : !view.email ? 'email' : 'password');
    const content = html`<h1>Sign in to ${view.known?.name ?? 'Gatehouse'}</h1>
${view.notice ? html`<p class="notice" role="status">${view.notice}</p>` : ''}
${okta ? html`<p class="notice">${view.known!.name} signs in with Okta. <a class="button button--primary" href="${okta}">Sign in with Okta</a></p>` : ''}
<form id="${FORM}" class="card form" method="post" action="/sign-in" novalidate>
  ${formAlert(FORM, errors.form)}
  ${csrfField(token)}
  ${view.returnTo ? html`<input type="hidden" name="return_to" value="${view.returnTo}">` : ''}
  ${field({ form: FORM, name: 'organization', label: 'Organization', value: view.organization, hint: LOGIN_PATH_HINT, error: fieldErrors.organization, required: true, autocomplete: 'organization', autofocus: focus === 'organization' })}
  ${field({ form: FORM, name: 'email', label: 'Email', type: 'email', value: view.email, error: fieldErrors.email, required: true, autocomplete: 'username', autofocus: focus === 'email' })}
  ${field({ form: FORM, name: 'password', label: 'Password', type: 'password', error: fieldErrors.password, required: true, autocomplete: 'current-password', autofocus: focus === 'password', describedBy: errors.form && focus === 'password' ? `${FORM}-alert` : undefined })}
  <div class="actions">
    <button type="submit" name="method" value="password" class="button button--primary">Sign in</button>
    <span class="or">or</span>
    <button type="submit" name="method" value="okta" class="button">Sign in with Okta</button>
  </div>
  <p class="hint">Email and password are for accounts of organizations that do not use Okta, and for each organization’s owner. Everyone else signs in with Okta.</p>
</form>`;
    return sendHtml(reply, status, layout({ title: 'Sign in', assets, csrf: token, content }));
  }

  app.get<{ Querystring: Record<string, string | undefined> }>('/', async (request, reply) => {
    const returnTo = sameSitePath(request.query.return_to);
    if (await whoIsSignedIn(adminFor(environment.admin, request))) return reply.header('cache-control', 'no-store').redirect(returnTo ?? '/home', 303);
    const organization = request.query.organization;
    const known = await lookUp(organization);
    const notice = request.query.signed_out !== undefined ? 'You are signed out.' : undefined;
    const code = request.query.error;
    // Own keys only: `?error=constructor` must not find Object's.
    const oktaError = code !== undefined && Object.hasOwn(OKTA_ERRORS, code) ? OKTA_ERRORS[code] : undefined;
    return render(request, reply, 200, {
      organization: known?.login_path ?? organization,
      known,
      returnTo,
      notice,
      ...(oktaError ? { errors: { form: oktaError } } : {}),
    });
  });

  app.post<{ Body: Record<string, string | undefined> }>('/sign-in', async (request, reply) => {
    const body = request.body ?? {};
    const organizationInput = (body.organization ?? '').trim();
    const email = (body.email ?? '').trim();
    const password = body.password ?? '';
    const returnTo = sameSitePath(body.return_to);
    const loginPath = loginPathFrom(organizationInput);
    const known = loginPath ? await organizations.byLoginPath(loginPath) : undefined;
    const view: SignInView = { organization: organizationInput, known, email, returnTo };
    const refuse = (status: number, errors: FormErrors) => render(request, reply, status, { ...view, errors });

    if (!loginPath) {
      return refuse(400, { fields: { organization: organizationInput ? `“${organizationInput}” is not a login path. ${LOGIN_PATH_HINT}` : `Enter your organization. ${LOGIN_PATH_HINT}` } });
    }
    if (!known) return refuse(404, { fields: { organization: `No organization signs in at “${loginPath}”. ${LOGIN_PATH_HINT}` } });

    if (body.method === 'okta') {
      if (!known.sso_enabled) return refuse(409, { form: `${known.name} does not sign in with Okta yet: use your email and password.` });
      return reply.header('cache-control', 'no-store').redirect(new URL(`/login/${known.login_path}`, environment.publicUrl()).href, 303);
    }

    const missing: Record<string, string> = {};
    if (!email) missing.email = 'Enter your email address.';
    if (!password) missing.password = 'Enter your password.';
    if (Object.keys(missing).length > 0) return refuse(400, { fields: missing });

    const answer = await call(environment.proxy, {
      method: 'POST',
      url: `/login/${encodeURIComponent(known.login_path)}/password`,
      json: { email, password },
      remoteAddress: request.ip,
    });
    if (answer.status === 200) {
      for (const cookie of setCookiesOf(answer)) reply.header('set-cookie', cookie);
      return reply.header('cache-control', 'no-store').redirect(returnTo ?? '/home', 303);
    }
    const refusal = errorBodyOf(answer);
    if (answer.status >= 500 || !refusal.error_code) log.warn({ status: answer.status, error_code: refusal.error_code }, 'password sign-in failed unexpectedly');
    return refuse(answer.status >= 500 ? 502 : answer.status, signInRefusal(answer.status, refusal, known));
  });

  app.post('/sign-out', async (request, reply) => {
    const admin = adminFor(environment.admin, request);
    const signedIn = await whoIsSignedIn(admin);
    const session = admin.session;
    const answer = await call(environment.proxy, { method: 'POST', url: '/logout', session, remoteAddress: request.ip });
    for (const cookie of setCookiesOf(answer)) reply.header('set-cookie', cookie);
    reply.header('cache-control', 'no-store');
    // Single logout: the proxy sends the browser on to Okta's end-session endpoint, which brings it back to the organization's sign-in.
    const location = httpUrl(answer.headers.location);
    if (location && new URL(location).origin !== new URL(environment.publicUrl()).origin) return reply.redirect(location, 303);
    const organization = signedIn ? `&organization=${encodeURIComponent(signedIn.organization.login_path)}` : '';
    return reply.redirect(`/?signed_out${organization}`, 303);
  });
}

/** The proxy's refusal of a password sign-in, as the person should read it. */
export function signInRefusal(status: number, body: ErrorBody, organization: OrganizationSummary): FormErrors {
  switch (body.error_code) {
    case SIGN_IN_INVALID:
      return { form: 'Wrong email or password.' };
    case SIGN_IN_SSO_ONLY: {
      const loginUrl = httpUrl(body.login_url);
      const message: SafeHtml = html`${organization.name} signs in with Okta; only its owner may use a password. ${loginUrl ? html`<a href="${loginUrl}">Sign in with Okta</a>` : ''}`;
      return { form: message };
    }
    case SIGN_IN_DEACTIVATED:
      return { form: `This account is deactivated. Ask an administrator of ${organization.name} to reactivate it.` };
    case SIGN_IN_THROTTLED:
      return { form: body.message ?? 'Too many failed sign-ins; wait a few minutes and try again.' };
    case SIGN_IN_UNKNOWN_ORGANIZATION:
      return { fields: { organization: `No organization signs in at “${organization.login_path}”. ${LOGIN_PATH_HINT}` } };
    default:
      return { form: status >= 500 ? 'Sign-in is unavailable right now because of an error on the server. Try again shortly.' : (body.message ?? `Sign-in failed (${status}).`) };
  }
}
