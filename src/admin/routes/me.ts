import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ACCESS_TOKEN_DEFAULT_TTL, ACCESS_TOKEN_MAX_TTL, generateAccessToken } from '../../identity/access-tokens.js';
import { auditEntry } from '../../model/audit.js';
import { flexInteger } from '../../schema/flex.js';
import { nameText } from '../../schema/name.js';
import { SchemaViolationError } from '../../store/errors.js';
import {
  findAccessToken,
  findOrganization,
  insertAccessToken,
  listAccessTokens,
  revokeAccessToken,
  revokeAllAccessTokens,
  writeAudit,
  type AccessToken,
} from '../../store/repositories/identity/index.js';
import { nowSeconds } from '../../store/repositories/shared.js';
import { validate } from '../../store/validation.js';
import { actorOf, callerOf, type AdminCaller } from '../auth.js';
import { AdminApiError, NOT_FOUND_BODY } from '../errors.js';
import { bodyOf, endpoint, type AdminContext } from '../context.js';
import { organizationBody } from './organizations.js';
import { ADMIN_NOT_A_USER } from '../error-codes.js';

/** `GET /me` and the caller's personal access tokens: `GET/POST/DELETE /me/tokens`, `GET/DELETE /me/tokens/{id}`. */

const createTokenSchema = z
  .object({
    name: nameText({ max: 100, trim: true }),
    /** Seconds from now; default 90 days, at most a year; null for a token that never expires. */
    expires_in: flexInteger
      .pipe(
        z
          .number()
          .min(60, { error: `value should be between 60 and ${ACCESS_TOKEN_MAX_TTL}` })
          .max(ACCESS_TOKEN_MAX_TTL, { error: `value should be between 60 and ${ACCESS_TOKEN_MAX_TTL}` }),
      )
      .nullable()
      .optional(),
  })
  .strict();

function tokenBody(token: AccessToken, now = nowSeconds()): Record<string, unknown> {
  const state = token.revoked_at !== null ? 'revoked' : token.expires_at !== null && token.expires_at <= now ? 'expired' : 'active';
  return { ...token, state };
}

function userCaller(request: FastifyRequest): Extract<AdminCaller, { kind: 'token' | 'session' }> {
  const caller = callerOf(request);
  if (caller.kind === 'bootstrap') {
    throw new AdminApiError(
      ADMIN_NOT_A_USER,
      'personal access tokens belong to users, and the bootstrap token (GATEHOUSE_ADMIN_TOKEN) has none: call with a user\'s session or token',
      400,
    );
  }
  return caller;
}

export function registerMeRoutes(app: FastifyInstance, ctx: AdminContext): void {
  endpoint(app, '/me', {
    GET: async (request) => {
      const caller = callerOf(request);
      if (caller.kind === 'bootstrap') return { kind: 'bootstrap', user: null, organization: null, permissions: ['*'] };
      const organization = await findOrganization(ctx.db, caller.organizationId);
      return {
        kind: caller.kind,
        user: caller.user,
        organization: organization ? organizationBody(ctx, organization) : null,
        permissions: [...caller.permissions].sort(),
        ...(caller.tokenId ? { token_id: caller.tokenId } : {}),
      };
    },
  });

  endpoint(app, '/me/tokens', {
    GET: async (request) => {
      const caller = userCaller(request);
      const now = nowSeconds();
      return { data: (await listAccessTokens(ctx.db, caller.user.id)).map((token) => tokenBody(token, now)), next: null };
    },
    POST: async (request, reply) => {
      const caller = userCaller(request);
      const result = validate(createTokenSchema, bodyOf(request));
      if (!result.success) throw new SchemaViolationError(result.issues);
      const ttl = result.data.expires_in === undefined ? ACCESS_TOKEN_DEFAULT_TTL : result.data.expires_in;
      const generated = generateAccessToken();
      const token = await ctx.db.transaction().execute(async (trx) => {
        const saved = await insertAccessToken(trx, {
          user_id: caller.user.id,
          name: result.data.name,
          token_hash: generated.hash,
          token_hint: generated.hint,
          expires_at: ttl === null ? null : nowSeconds() + ttl,
        });
        await writeAudit(trx, auditEntry(actorOf(caller), caller.organizationId, 'access_token.create', {
          target: { type: 'access_token', id: saved.id },
          details: { name: saved.name, expires_at: saved.expires_at },
        }));
        return saved;
      });
      // The token itself is in this answer only: the store keeps its SHA-256.
      return reply.status(201).send({ ...tokenBody(token), token: generated.token });
    },
    DELETE: async (request, reply) => {
      const caller = userCaller(request);
      await ctx.db.transaction().execute(async (trx) => {
        const revoked = await revokeAllAccessTokens(trx, caller.user.id);
        if (revoked.length === 0) return;
        await writeAudit(trx, auditEntry(actorOf(caller), caller.organizationId, 'access_token.revoke', {
          target: { type: 'user', id: caller.user.id },
          details: { tokens: revoked },
        }));
      });
      return reply.status(204).send();
    },
  });

  endpoint(app, '/me/tokens/:id', {
    GET: async (request, reply) => {
      const caller = userCaller(request);
      const token = await findAccessToken(ctx.db, caller.user.id, (request.params as { id: string }).id);
      return token ? tokenBody(token) : reply.status(404).send(NOT_FOUND_BODY);
    },
    DELETE: async (request, reply) => {
      const caller = userCaller(request);
      const id = (request.params as { id: string }).id;
      const found = await ctx.db.transaction().execute(async (trx) => {
        const existing = await findAccessToken(trx, caller.user.id, id);
        if (!existing) return false;
        if (existing.revoked_at !== null) return true;
        await revokeAccessToken(trx, caller.user.id, existing.id);
        await writeAudit(trx, auditEntry(actorOf(caller), caller.organizationId, 'access_token.revoke', {
          target: { type: 'access_token', id: existing.id },
          details: { name: existing.name },
        }));
        return true;
      });
      return found ? reply.status(204).send() : reply.status(404).send(NOT_FOUND_BODY);
    },
  });
}

