import type { FastifyInstance } from 'fastify';
import { ORGANIZATION_SESSION_COOKIE } from '../identity/organization-session.js';
import { cookiesOf } from './csrf.js';
import { call, type CallOptions, type InProcessServer } from './upstream.js';

/**
 * `/api/*`: the Admin API, same-origin, for the console's scripts. `/api/me/tokens`
 * is the Admin API's `/me/tokens`, called in-process as the person whose session
 * cookie came with the request. So the browser never talks to the Admin API's
 * listener (which stays on loopback and needs no CORS), and the CSRF check happens
 * in one place, the console's hook, before anything is passed on.
 *
 * Bodies go through as bytes with their media type, so the Admin API parses and
 * validates them exactly as it does for any client, and its answers (status, body,
 * error codes, field errors) come back unchanged.
 */
export function registerApiProxy(app: FastifyInstance, admin: InProcessServer): void {
  app.register(async (scope) => {
    // The Admin API parses bodies; here they stay bytes.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

    scope.all('/api/*', async (request, reply) => {
      const target = request.url.slice('/api'.length);
      const answer = await call(admin, {
        method: request.method as CallOptions['method'],
        url: target.startsWith('/') ? target : `/${target}`,
        session: cookiesOf(request)[ORGANIZATION_SESSION_COOKIE],
        remoteAddress: request.ip,
        raw: { payload: Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), contentType: request.headers['content-type'] },
      });
      const type = answer.headers['content-type'];
      if (type !== undefined) reply.header('content-type', String(type));
      return reply.code(answer.status).header('cache-control', 'no-store').send(answer.payload);
    });
  });
}
