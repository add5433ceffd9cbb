import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Organization } from '../model/identity.js';
import { errorPage } from '../web/error-page.js';
import { escapeHtml } from '../web/html.js';
import { prefersJson } from '../web/negotiation.js';

/**
 * The sign-in routes' own answers: Gatehouse's error page for browsers (the console
 * explains refusals better when a sign-in started there), JSON for clients that ask for it.
 */

export function wantsJson(request: FastifyRequest): boolean {
  return prefersJson(request.headers.accept) || (request.headers['content-type'] ?? '').includes('json');
}

/** A refusal: `{ message, error_code }` for JSON clients, a page for browsers. */
export function answer(request: FastifyRequest, reply: FastifyReply, status: number, code: string, message: string, extra: Record<string, unknown> = {}) {
  if (wantsJson(request)) return reply.code(status).send({ message, error_code: code, ...extra });
  return page(reply, status, status === 429 ? 'Please wait' : 'Sign-in refused', message, code);
}

/** Gatehouse's error page, with the code when the refusal has one. */
export function page(reply: FastifyReply, status: number, title: string, message: string, code?: string) {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(errorPage({ heading: title, message, code }));
}

export function unavailable(reply: FastifyReply) {
  return page(reply, 502, 'Sign-in is unavailable', 'The identity provider cannot be reached; try again shortly.');
}

export function signInPage(reply: FastifyReply, organization: Organization, options: { sso: boolean; signedOut: boolean; target: string }) {
  const name = escapeHtml(organization.name);
  const path = escapeHtml(organization.login_path);
  const target = escapeHtml(options.target);
  const sso = options.sso ? `<p><a href="/login/${path}?return_to=${encodeURIComponent(options.target)}">Sign in with Okta</a></p>` : '';
  const notice = options.signedOut ? '<p role="status">You are signed out.</p>' : '';
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in to ${name}</title></head><body><main><h1>Sign in to ${name}</h1>${notice}${sso}` +
        `<form method="post" action="/login/${path}/password"><input type="hidden" name="return_to" value="${target}">` +
        `<label>Email <input type="email" name="email" autocomplete="username" required></label>` +
        `<label>Password <input type="password" name="password" autocomplete="current-password" required></label>` +
        `<button type="submit">Sign in</button></form></main></body></html>`,
    );
}
