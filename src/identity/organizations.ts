import type { Kysely } from 'kysely';
import { z } from 'zod';
import { flexBoolean } from '../schema/flex.js';
import { nameText } from '../schema/name.js';
import { SchemaViolationError, type FieldIssue } from '../store/errors.js';
import {
  createBuiltinRoles,
  deleteOrganization,
  findOrganization,
  findUserById,
  insertNativeUser,
  insertOrganization,
  setHandGrantedRoles,
  setOrganizationOwner,
  updateOrganization,
  writeAudit,
} from '../store/repositories/identity/index.js';
import { isUuid } from '../store/schemas/common.js';
import type { Database } from '../store/schema.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import { emailField, parseInput, personName } from './input-fields.js';
import { loginPathFromName, LoginPathError, normalizeLoginPath } from './login-path.js';
import { BUILTIN_ROLES, type Organization, type User } from '../model/identity.js';
import { assertPasswordAcceptable, generatePassword, hashPassword } from './passwords.js';
import { refuseSsoSwitch } from './sso-switch.js';
import { ORG_LOGIN_PATH_INVALID } from './error-codes.js';

/**
 * Administration of organizations: creating one with its built-in roles and owner,
 * renaming it, deleting it. Each operation validates everything first, then writes in
 * one transaction together with its audit entry, so a refused request writes nothing.
 * What an organization holds is administered beside it: roles.ts, role-mappings.ts,
 * users.ts.
 */

type Db = Kysely<Database>;

const nameField = nameText({ max: 100, trim: true })
  .refine((name) => !isUuid(name), { error: 'must not be a UUID (it would be read as an id in URLs); choose another name' })
  .refine((name) => !/[/?#%\\]/.test(name), {
    error: "must not contain '/', '?', '#', '%' or '\\' (the name may stand for the id in URLs)",
  });

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
  const fields = parseInput(createOrganizationSchema, flattenOwner(input));
  let loginPath: string;
  if (fields.login_path !== undefined) {
    loginPath = normalizeLoginPath(fields.login_path);
  } else {
    const derived = loginPathFromName(fields.name);
    if (!derived) {
      throw new LoginPathError(
        ORG_LOGIN_PATH_INVALID,
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

/** PATCH of an organization: `name`, `login_path`; `sso_enabled` only as it is (turning it on has its own endpoint). */
export async function patchOrganization(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<Organization> {
  const fields = parseInput(updateOrganizationSchema, input);
  refuseSsoSwitch(organization, fields.sso_enabled, 'an update');
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
