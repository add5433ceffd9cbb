import type { FastifyInstance } from 'fastify';
import { verifyPassword } from '../identity/passwords.js';
import { isCrossSite, sameSitePath } from '../web/same-site.js';
import type { SignInContext } from './context.js';
import { answer, wantsJson } from './pages.js';
import {
  SIGN_IN_CROSS_SITE,
  SIGN_IN_DEACTIVATED,
  SIGN_IN_INVALID,
  SIGN_IN_SSO_ONLY,
  SIGN_IN_THROTTLED,
  SIGN_IN_UNKNOWN_ORGANIZATION,
} from './error-codes.js';

/**
 * Password sign-in for an organization's native accounts, and for its owner once the
 * organization signs in with Okta; failures are throttled per account and per address.
 */
export function registerPasswordSignIn(scope: FastifyInstance, context: SignInContext): void {
  const { deps } = context;
  const throttle = deps.throttle;
  scope.post<{ Params: { loginPath: string }; Body: Record<string, unknown> }>('/login/:loginPath/password', async (request, reply) => {
    const organization = await context.loadOrganization(request.params.loginPath);
    if (!organization) return answer(request, reply, 404, SIGN_IN_UNKNOWN_ORGANIZATION, 'No organization signs in at this address.');
    if (isCrossSite(request.headers, request.headers.host)) return answer(request, reply, 403, SIGN_IN_CROSS_SITE, 'Sign-in must start from this site.');
    const body = (request.body ?? {}) as Record<string, unknown>;
    const email = typeof body.email === 'string' ? body.email.trim().slice(0, 320) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    const throttleKey = `${organization.id}:${email.toLowerCase()}`;
    const throttled = (wait: number) => {
      reply.header('retry-after', String(wait));
      return answer(request, reply, 429, SIGN_IN_THROTTLED, `Too many failed sign-ins; try again in ${wait} seconds.`);
    };
    // A locked account or address costs a read, not a write.
    const wait = await throttle.retryAfter(throttleKey, request.ip);
    if (wait > 0) return throttled(wait);
    // Counted before the password is checked, so concurrent guesses (in any worker)
    // cannot all slip under the limit: one that the count shows went past it is
    // refused like a locked one. A success takes the count back.
    const over = await throttle.fail(throttleKey, request.ip);
    if (over > 0) return throttled(over);
    const user = email ? await deps.store.userByEmail(organization.id, email) : undefined;
    const hash = user ? await deps.store.passwordHash(organization.id, user.id) : undefined;
    // Verify even without a user, so timing does not tell which emails exist.
    const valid = await verifyPassword(password, hash);
    if (!user || !hash || !valid) {
      // Only an existing account's email goes to the audit log: a password typed into the email field must not.
      await context.audit(organization, 'sign_in', 'failure', 'wrong email or password', { method: 'password', ...(user ? { email: user.email } : {}) });
      return answer(request, reply, 401, SIGN_IN_INVALID, 'Wrong email or password.');
    }
    if (user.status !== 'active') {
      await context.audit(organization, 'sign_in', 'failure', 'the account is deactivated', { email, method: 'password' });
      return answer(request, reply, 403, SIGN_IN_DEACTIVATED, 'This account is deactivated; ask an administrator of your organization.');
    }
    if (organization.sso_enabled && organization.owner_user_id !== user.id) {
      await context.audit(organization, 'sign_in', 'failure', 'password sign-in is off: the organization signs in with Okta', { email, method: 'password' });
      const url = new URL(`/login/${organization.login_path}`, context.site().url).href;
      return answer(request, reply, 403, SIGN_IN_SSO_ONLY, `${organization.name} signs in with Okta: use ${url}`, { login_url: url });
    }
    await throttle.succeed(throttleKey, request.ip);
    const sessionCookie = await context.startSession(organization, user, { method: 'password', groups: [] });
    await deps.store.recordSignIn(organization.id, user.id);
    await context.auditUser(user, organization.id, 'sign_in', { method: 'password' });
    reply.header('set-cookie', sessionCookie);
    const target = sameSitePath(body.return_to) ?? context.defaultTarget();
    if (wantsJson(request)) return reply.send({ message: 'Signed in', user: { id: user.id, email: user.email, roles: user.roles.map((role) => role.role_name) } });
    return reply.redirect(target, 303);
  });
}
