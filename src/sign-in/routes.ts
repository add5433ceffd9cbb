import type { FastifyInstance } from 'fastify';
import { registerBackchannelLogout } from './backchannel-logout.js';
import { SignInContext, type SignInDependencies } from './context.js';
import { registerSignOut } from './logout.js';
import { registerOktaCallback } from './okta-callback.js';
import { registerSignInStart } from './okta-start.js';
import { registerPasswordSignIn } from './password.js';

/**
 * The organization sign-in endpoints on the proxy listener (issue 3): Okta sign-in
 * per organization with one callback for all, Okta-initiated sign-in, password
 * sign-in for native accounts, sign-out with optional single logout, back-channel
 * logout, and the JWKS that upstreams verify Gatehouse's assertions with.
 */
export function registerSignInRoutes(app: FastifyInstance, deps: SignInDependencies): void {
  const context = new SignInContext(deps);
  app.register(async (scope) => {
    // Form posts (password sign-in, Okta-initiated sign-in, back-channel logout), parsed
    // with URLSearchParams; only these routes see bodies, the proxy streams its own.
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });

    scope.get('/.well-known/jwks.json', async (_request, reply) => {
      return reply.header('cache-control', 'public, max-age=300').send(deps.signer.jwks());
    });

    registerSignInStart(scope, context);
    registerOktaCallback(scope, context);
    registerPasswordSignIn(scope, context);
    registerSignOut(scope, context);
    registerBackchannelLogout(scope, context);
  });
}
