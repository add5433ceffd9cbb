import type { Kysely } from 'kysely';
import { z } from 'zod';
import { flexBoolean, flexList } from '../schema/flex.js';
import { controlCharacterIn, nameText } from '../schema/name.js';
import { SchemaViolationError, type FieldIssue } from '../store/errors.js';
import {
  createBuiltinRoles,
  deleteOrganization,
  deleteRoleMapping,
  findOrganization,
  findRole,
  findRoleMapping,
  findUserById,
  insertNativeUser,
  insertOrganization,
  insertRole,
  insertRoleMapping,
  listRoleMappings,
  recomputeSsoRoles,
  roleNames,
  setHandGrantedRoles,
  setOrganizationOwner,
  updateOrganization,
  updateUserName,
  writeAudit,
  IdentityConflictError,
} from '../store/repositories/identity/index.js';
import { isUuid } from '../store/schemas/common.js';
import type { Database } from '../store/schema.js';
import { validate } from '../store/validation.js';
import { deactivateUser, reactivateUser, type AccountStatusDeps } from './account-status.js';
import { auditEntry, type AuditActor } from './audit.js';
import { loginPathFromName, LoginPathError, normalizeLoginPath } from './login-path.js';
import { BUILTIN_ROLES, type Organization, type Role, type RoleMapping, type User } from './model.js';
import { assertPasswordAcceptable, generatePassword, hashPassword } from './passwords.js';

/**
 * Administration of organizations: creating one with its built-in roles and owner,
 * renaming it, its native users, custom roles and group → role mappings. Each
 * operation validates everything first, then writes in one transaction together with
 * its audit entry, so a refused request writes nothing.
 */

type Db = Kysely<Database>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const emailField = z
  .string()
  .trim()
  .max(320, { error: 'length must be at most 320' })
  .regex(EMAIL, { error: 'expected an email address such as admin@example.com' })
  // An email goes upstream in X-Gatehouse-Email, like a name (src/schema/name.ts says why).
  .refine((email) => controlCharacterIn(email) === undefined, { error: 'must not contain control characters' });

const nameField = nameText({ max: 100, trim: true })
  .refine((name) => !isUuid(name), { error: 'must not be a UUID (it would be read as an id in URLs); choose another name' })
  .refine((name) => !/[/?#%\\]/.test(name), {
    error: "must not contain '/', '?', '#', '%' or '\\' (the name may stand for the id in URLs)",
  });

const personName = nameText({ min: 0, max: 200, trim: true }).nullable().optional();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const body = input === undefined || input === null ? {} : input;
  const result = validate(schema, body);
  if (!result.success) throw new SchemaViolationError(result.issues);
  return result.data;
}

// ---------------------------------------------------------------------------------
// Organizations

const createOrganizationSchema = z
  .object({
    name: nameField,
    login_path: z.string().optional(),
    owner_email: emailField,
    owner_name: personName,
    /** Chosen by the caller; generated (and returned once) when absent. */
    owner_password: z.string().optional(),
  })
  .strict();

/** `{"owner": {"email", "name", "password"}}` is accepted as well as `owner_email`, `owner_name`, `owner_password`. */
function flattenOwner(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !('owner' in input)) return input;
  const { owner, ...rest } = input as Record<string, unknown>;
  if (owner === null || typeof owner !== 'object' || Array.isArray(owner)) {
    throw new SchemaViolationError([{ path: ['owner'], message: 'expected a record (an object) such as {"email": "admin@example.com"}' }]);
  }
  const issues: FieldIssue[] = [];
  const flat: Record<string, unknown> = { ...rest };
  for (const [key, value] of Object.entries(owner as Record<string, unknown>)) {
    if (key !== 'email' && key !== 'name' && key !== 'password') {
      issues.push({ path: ['owner', key], message: 'unknown field' });
    } else if (`owner_${key}` in rest) {
      issues.push({ path: ['owner', key], message: `given twice (also as owner_${key}); send one` });
    } else {
      flat[`owner_${key}`] = value;
    }
  }
  if (issues.length > 0) throw new SchemaViolationError(issues);
  return flat;
}

export interface CreatedOrganization {
  organization: Organization;
  owner: User;
  /** The owner's password when Gatehouse generated it: shown once, never stored in clear. */
  generated_password: string | undefined;
}

/**
 * Creates an organization in one transaction: the organization, its three built-in
 * roles, and its owner (a native user with Organization Admin given by hand).
 * `login_path` defaults to one made from the name.
 */
export async function createOrganization(db: Db, input: unknown, actor: AuditActor): Promise<CreatedOrganization> {
  const fields = parse(createOrganizationSchema, flattenOwner(input));
  let loginPath: string;
  if (fields.login_path !== undefined) {
    loginPath = normalizeLoginPath(fields.login_path);
  } else {
    const derived = loginPathFromName(fields.name);
    if (!derived) {
      throw new LoginPathError(
        'GH-ORG-LOGIN-PATH-INVALID',
        `no login_path can be made from the name '${fields.name}'; give one: 3 to 64 letters, digits, '-' or '_'`,
      );
    }
    loginPath = derived;
  }
  if (fields.owner_password !== undefined) assertPasswordAcceptable(fields.owner_password, 'owner_password');
  const password = fields.owner_password ?? generatePassword();
  const hash = await hashPassword(password);

  return db.transaction().execute(async (trx) => {
    const organization = await insertOrganization(trx, { name: fields.name, login_path: loginPath });
    const roles = await createBuiltinRoles(trx, organization.id);
    const admin = roles.find((role) => role.name === BUILTIN_ROLES.organizationAdmin)!;
    const owner = await insertNativeUser(trx, organization.id, { email: fields.owner_email, name: fields.owner_name ?? null, password_hash: hash });
    await setHandGrantedRoles(trx, owner.id, [admin.id]);
    await setOrganizationOwner(trx, organization.id, owner.id);
    await writeAudit(trx, auditEntry(actor, organization.id, 'organization.create', {
      target: { type: 'organization', id: organization.id },
      details: { name: organization.name, login_path: organization.login_path, owner: { id: owner.id, email: owner.email } },
    }));
    return {
      organization: (await findOrganization(trx, organization.id))!,
      owner: (await findUserById(trx, owner.id))!,
      generated_password: fields.owner_password === undefined ? password : undefined,
    };
  });
}

const updateOrganizationSchema = z
  .object({
    name: nameField.optional(),
    login_path: z.string().optional(),
    sso_enabled: flexBoolean.optional(),
  })
  .strict();

/** SSO is a one-way switch: any request to go back to native sign-in gets this. */
export function ssoIrreversibleError(): IdentityConflictError {
  return new IdentityConflictError(
    'GH-IDENTITY-SSO-IRREVERSIBLE',
    'SSO cannot be turned off once enabled; members sign in with Okta from now on and the owner keeps password sign-in. ' +
      'To change how people sign in, change the identity settings (a new Test Configuration is needed) or the group mappings',
    'sso_enabled',
  );
}

/** PATCH of an organization: `name`, `login_path`; `sso_enabled` only as it is (turning it on has its own endpoint). */
export async function patchOrganization(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<Organization> {
  const fields = parse(updateOrganizationSchema, input);
  if (fields.sso_enabled === false && organization.sso_enabled) throw ssoIrreversibleError();
  if (fields.sso_enabled === true && !organization.sso_enabled) {
    throw new IdentityConflictError(
      'GH-IDENTITY-ENABLE-ENDPOINT',
      `turn SSO on with POST /organizations/${organization.id}/identity/enable and the body {"confirm": true}: it cannot be undone, so it is never a side effect of an update`,
      'sso_enabled',
    );
  }
  const changes: { name?: string; login_path?: string } = {};
  if (fields.name !== undefined && fields.name !== organization.name) changes.name = fields.name;
  if (fields.login_path !== undefined) {
    const path = normalizeLoginPath(fields.login_path);
    if (path !== organization.login_path) changes.login_path = path;
  }
  if (Object.keys(changes).length === 0) return organization;
  return db.transaction().execute(async (trx) => {
    const updated = await updateOrganization(trx, organization, changes);
    await writeAudit(trx, auditEntry(actor, organization.id, 'organization.update', {
      target: { type: 'organization', id: organization.id },
      details: Object.fromEntries(
        Object.entries(changes).map(([key, value]) => [key, { from: organization[key as keyof typeof changes], to: value }]),
      ),
    }));
    return updated;
  });
}

/** Deletes the organization with everything in it (the audit log keeps its entries, and records this). */
export async function removeOrganization(db: Db, organization: Organization, actor: AuditActor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await deleteOrganization(trx, organization.id);
    await writeAudit(trx, auditEntry(actor, organization.id, 'organization.delete', {
      target: { type: 'organization', id: organization.id },
      details: { name: organization.name, login_path: organization.login_path },
    }));
  });
}

// ---------------------------------------------------------------------------------
// Roles

const roleSchema = z
  .object({
    name: nameText({ max: 100, trim: true }).refine((name) => !isUuid(name), { error: 'must not be a UUID (roles are named by id or name)' }),
    description: z.string().trim().max(500, { error: 'length must be at most 500' }).nullable().optional(),
  })
  .strict();

/** A custom role (for the organization's own applications behind the gateway). */
export async function createRole(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<Role> {
  const fields = parse(roleSchema, input);
  return db.transaction().execute(async (trx) => {
    const role = await insertRole(trx, organization.id, { name: fields.name, description: fields.description ?? null });
    await writeAudit(trx, auditEntry(actor, organization.id, 'role.create', {
      target: { type: 'role', id: role.id },
      details: { name: role.name },
    }));
    return role;
  });
}

/** Resolves role references (ids or names) of the organization, or a schema violation naming each unknown one under `field`. */
async function resolveRoles(db: Db, organizationId: string, references: readonly string[], field: string): Promise<Role[]> {
  const roles: Role[] = [];
  const issues: FieldIssue[] = [];
  for (const [index, reference] of references.entries()) {
    const role = await findRole(db, organizationId, reference);
    if (role) roles.push(role);
    else issues.push({ path: [field, index], message: `no role '${reference}' in this organization; list them with GET /organizations/{org}/roles` });
  }
  if (issues.length > 0) throw new SchemaViolationError(issues);
  return roles;
}

// ---------------------------------------------------------------------------------
// Role mappings

const mappingSchema = z
  .object({
    // Okta's own limit for a group name.
    group: nameText({ max: 255 }),
    /** A role id or name; `role_id` and `{"role": {"id"}}` are accepted too. */
    role: z.union([z.string().min(1), z.object({ id: z.string().optional(), name: z.string().optional() }).strict()]).optional(),
    role_id: z.string().min(1).optional(),
  })
  .strict();

export interface MappingChange {
  mapping: RoleMapping;
  /** SSO users whose roles changed with this mapping (recomputed from their last-seen groups). */
  users_changed: Array<{ user_id: string; email: string; added: string[]; removed: string[] }>;
}

async function describeRecomputed(
  db: Db,
  organizationId: string,
  changes: Awaited<ReturnType<typeof recomputeSsoRoles>>,
): Promise<MappingChange['users_changed']> {
  const names = await roleNames(db, organizationId);
  return changes.map((change) => ({
    ...change,
    added: change.added.map((id) => names.get(id) ?? id),
    removed: change.removed.map((id) => names.get(id) ?? id),
  }));
}

/**
 * A rule `{group, role}`: group names compare exactly; a group may give several roles
 * and a role may come from several groups. SSO users' roles are recomputed at once
 * from the groups seen at their last sign-in.
 */
export async function createRoleMapping(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<MappingChange> {
  const fields = parse(mappingSchema, input);
  const reference = typeof fields.role === 'string' ? fields.role : (fields.role?.id ?? fields.role?.name ?? fields.role_id);
  if (reference === undefined) throw new SchemaViolationError([{ path: ['role'], message: 'required field missing: a role id or name' }]);
  if (fields.group.trim() !== fields.group) {
    throw new SchemaViolationError([{ path: ['group'], message: 'must not start or end with spaces: group names are compared exactly, as Okta spells them' }]);
  }
  return db.transaction().execute(async (trx) => {
    const [role] = await resolveRoles(trx, organization.id, [reference], 'role').catch((error: unknown) => {
      if (error instanceof SchemaViolationError) {
        throw new SchemaViolationError(error.issues.map((issue) => ({ path: ['role'], message: issue.message })));
      }
      throw error;
    });
    const mapping = await insertRoleMapping(trx, organization.id, { group: fields.group, role_id: role!.id });
    const changed = await describeRecomputed(trx, organization.id, await recomputeSsoRoles(trx, organization.id));
    await writeAudit(trx, auditEntry(actor, organization.id, 'role_mapping.create', {
      target: { type: 'role_mapping', id: mapping.id },
      details: { group: mapping.group, role: mapping.role_name, users_changed: changed },
    }));
    return { mapping, users_changed: changed };
  });
}

/** Deletes a rule; the last one cannot go while SSO is enabled (every SSO user would lose access). */
export async function removeRoleMapping(db: Db, organization: Organization, id: string, actor: AuditActor): Promise<MappingChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const mapping = await findRoleMapping(trx, organization.id, id);
    if (!mapping) return undefined;
    if (organization.sso_enabled && (await listRoleMappings(trx, organization.id)).length <= 1) {
      throw new IdentityConflictError(
        'GH-IDENTITY-LAST-MAPPING',
        'this is the last group mapping and SSO is enabled: without one nobody could sign in with Okta; add the new mapping first, then delete this one',
      );
    }
    await deleteRoleMapping(trx, organization.id, mapping.id);
    const changed = await describeRecomputed(trx, organization.id, await recomputeSsoRoles(trx, organization.id));
    await writeAudit(trx, auditEntry(actor, organization.id, 'role_mapping.delete', {
      target: { type: 'role_mapping', id: mapping.id },
      details: { group: mapping.group, role: mapping.role_name, users_changed: changed },
    }));
    return { mapping, users_changed: changed };
  });
}

// ---------------------------------------------------------------------------------
// Users

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
  const fields = parse(createUserSchema, input);
  if (organization.sso_enabled) {
    throw new IdentityConflictError(
      'GH-IDENTITY-SSO-USERS',
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
  const fields = parse(patchUserSchema, input);
  const isOwner = organization.owner_user_id === user.id;
  if (user.source === 'sso' && fields.roles !== undefined) {
    throw new IdentityConflictError(
      'GH-IDENTITY-SSO-ROLES',
      `the roles of ${user.email} come from their Okta groups and cannot be edited by hand; change the group mappings (/organizations/{org}/role-mappings) or the user's groups in Okta instead`,
      'roles',
    );
  }
  if (user.source === 'sso' && fields.name !== undefined && fields.name !== user.name) {
    throw new IdentityConflictError('GH-IDENTITY-SSO-PROFILE', `the name of ${user.email} comes from Okta at each sign-in; change it in Okta`, 'name');
  }
  const status = fields.status !== undefined && fields.status !== user.status ? fields.status : undefined;
  if (fields.roles !== undefined && (status ?? user.status) === 'deactivated') {
    throw new IdentityConflictError(
      'GH-IDENTITY-USER-DEACTIVATED',
      `${user.email} is deactivated: their roles are kept as they were at deactivation and give no permission; reactivate them first (send "status": "active" with the roles)`,
      'roles',
    );
  }
  const roles = fields.roles === undefined ? undefined : await resolveRoles(db, organization.id, fields.roles, 'roles');
  if (roles && isOwner && !roles.some((role) => role.name === BUILTIN_ROLES.organizationAdmin)) {
    throw new IdentityConflictError('GH-ORG-OWNER', `the owner of the organization always keeps ${BUILTIN_ROLES.organizationAdmin}; include it in roles`, 'roles');
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
          details: { email: user.email, added: added.map((id) => names.get(id) ?? id), removed: removed.map((id) => names.get(id) ?? id) },
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
