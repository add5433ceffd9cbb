import type { Kysely } from 'kysely';
import { z } from 'zod';
import { flexList } from '../schema/flex.js';
import { findUserById, insertNativeUser, roleNames, setHandGrantedRoles, updateUserName, writeAudit, IdentityConflictError } from '../store/repositories/identity/index.js';
import type { Database } from '../store/schema.js';
import { deactivateUser, reactivateUser, type AccountStatusDeps } from './account-status.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import { emailField, parseInput, personName } from './input-fields.js';
import { BUILTIN_ROLES, type Organization, type User } from '../model/identity.js';
import { assertPasswordAcceptable, generatePassword, hashPassword } from './passwords.js';
import { resolveRoles, roleNamesOf } from './roles.js';
import { IDENTITY_SSO_PROFILE, IDENTITY_SSO_ROLES, IDENTITY_SSO_USERS, IDENTITY_USER_DEACTIVATED } from './error-codes.js';
import { ORG_OWNER } from '../store/error-codes.js';

/**
 * Administration of an organization's people: native users (email and password) while
 * SSO is off, and for everyone their status, name and hand-granted roles. SSO users'
 * accounts and roles come from Okta (provisioning.ts).
 */

type Db = Kysely<Database>;

const createUserSchema = z
  .object({
    email: emailField,
    name: personName,
    password: z.string().optional(),
    roles: flexList(z.string().min(1)).optional(),
  })
  .strict();

/**
 * A native user (email and password), only while SSO is not enabled: after it,
 * people get their accounts from Okta. Without `roles`, the user gets Viewer.
 */
export async function createNativeUser(
  db: Db,
  organization: Organization,
  input: unknown,
  actor: AuditActor,
): Promise<{ user: User; generated_password: string | undefined }> {
  const fields = parseInput(createUserSchema, input);
  if (organization.sso_enabled) {
    throw new IdentityConflictError(
      IDENTITY_SSO_USERS,
      'SSO is enabled for this organization: people get their accounts from Okta when they first sign in; add them to a mapped Okta group instead',
    );
  }
  if (fields.password !== undefined) assertPasswordAcceptable(fields.password);
  const password = fields.password ?? generatePassword();
  const hash = await hashPassword(password);
  return db.transaction().execute(async (trx) => {
    const roles = await resolveRoles(trx, organization.id, fields.roles ?? [BUILTIN_ROLES.viewer], 'roles');
    const created = await insertNativeUser(trx, organization.id, { email: fields.email, name: fields.name ?? null, password_hash: hash });
    await setHandGrantedRoles(
      trx,
      created.id,
      roles.map((role) => role.id),
    );
    await writeAudit(trx, auditEntry(actor, organization.id, 'user.create', {
      target: { type: 'user', id: created.id },
      details: { email: created.email, source: 'native', roles: roles.map((role) => role.name) },
    }));
    return { user: (await findUserById(trx, created.id))!, generated_password: fields.password === undefined ? password : undefined };
  });
}

const patchUserSchema = z
  .object({
    name: personName,
    status: z.enum(['active', 'deactivated']).optional(),
    roles: flexList(z.string().min(1)).optional(),
  })
  .strict();

export interface UserUpdate {
  user: User;
  /** Whether the user's live sessions must end because their roles changed (a deactivation ends them itself). */
  end_sessions: boolean;
}

/**
 * PATCH of a user: `status` (users are deactivated, never deleted), `name` (native
 * users), `roles` (native users only: an SSO user's roles come from Okta groups). A
 * deactivated user's roles are kept as they were at deactivation, so `roles` needs the
 * user active, or reactivated by the same request. Everything is checked before the
 * first write; the status change comes first, so the owner's refusal writes nothing.
 */
export async function patchUser(
  db: Db,
  accounts: AccountStatusDeps,
  organization: Organization,
  user: User,
  input: unknown,
  actor: AuditActor,
): Promise<UserUpdate> {
  const fields = parseInput(patchUserSchema, input);
  const isOwner = organization.owner_user_id === user.id;
  if (user.source === 'sso' && fields.roles !== undefined) {
    throw new IdentityConflictError(
      IDENTITY_SSO_ROLES,
      `the roles of ${user.email} come from their Okta groups and cannot be edited by hand; change the group mappings (/organizations/{org}/role-mappings) or the user's groups in Okta instead`,
      'roles',
    );
  }
  if (user.source === 'sso' && fields.name !== undefined && fields.name !== user.name) {
    throw new IdentityConflictError(IDENTITY_SSO_PROFILE, `the name of ${user.email} comes from Okta at each sign-in; change it in Okta`, 'name');
  }
  const status = fields.status !== undefined && fields.status !== user.status ? fields.status : undefined;
  if (fields.roles !== undefined && (status ?? user.status) === 'deactivated') {
    throw new IdentityConflictError(
      IDENTITY_USER_DEACTIVATED,
      `${user.email} is deactivated: their roles are kept as they were at deactivation and give no permission; reactivate them first (send "status": "active" with the roles)`,
      'roles',
    );
  }
  const roles = fields.roles === undefined ? undefined : await resolveRoles(db, organization.id, fields.roles, 'roles');
  if (roles && isOwner && !roles.some((role) => role.name === BUILTIN_ROLES.organizationAdmin)) {
    throw new IdentityConflictError(ORG_OWNER, `the owner of the organization always keeps ${BUILTIN_ROLES.organizationAdmin}; include it in roles`, 'roles');
  }

  if (status === 'deactivated') {
    await deactivateUser(accounts, organization.id, user.id, { actor, reason: 'deactivated by an administrator' });
  } else if (status === 'active') {
    await reactivateUser(accounts, organization.id, user.id, { actor, reason: 'reactivated by an administrator' });
  }
  const name = fields.name !== undefined && fields.name !== user.name ? fields.name : undefined;
  return db.transaction().execute(async (trx) => {
    let rolesChanged = false;
    if (roles) {
      const { added, removed } = await setHandGrantedRoles(
        trx,
        user.id,
        roles.map((role) => role.id),
      );
      if (added.length > 0 || removed.length > 0) {
        rolesChanged = true;
        const names = await roleNames(trx, organization.id);
        await writeAudit(trx, auditEntry(actor, organization.id, 'user.roles.change', {
          target: { type: 'user', id: user.id },
          details: { email: user.email, added: roleNamesOf(names, added), removed: roleNamesOf(names, removed) },
        }));
      }
    }
    if (name !== undefined) {
      await updateUserName(trx, user.id, name);
      await writeAudit(trx, auditEntry(actor, organization.id, 'user.update', {
        target: { type: 'user', id: user.id },
        details: { email: user.email, name: { from: user.name, to: name } },
      }));
    }
    return { user: (await findUserById(trx, user.id))!, end_sessions: rolesChanged };
  });
}
