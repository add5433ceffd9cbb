import type { Kysely } from 'kysely';
import { z } from 'zod';
import { nameText } from '../schema/name.js';
import { SchemaViolationError } from '../store/errors.js';
import {
  deleteRoleMapping,
  findRoleMapping,
  insertRoleMapping,
  listRoleMappings,
  roleNames,
  writeAudit,
  IdentityConflictError,
} from '../store/repositories/identity/index.js';
import type { Database } from '../store/schema.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import { parseInput } from './input-fields.js';
import { recomputeSsoRoles } from './provisioning.js';
import type { Organization, RoleMapping } from '../model/identity.js';
import { resolveRoles, roleNamesOf } from './roles.js';
import { IDENTITY_LAST_MAPPING } from './error-codes.js';

/**
 * Administration of an organization's group → role mappings (the rules themselves are
 * applied by role-mapping.ts). Every change recomputes SSO users' roles at once from
 * the groups seen at their last sign-in, and says whose roles changed.
 */

type Db = Kysely<Database>;

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

/**
 * A rule `{group, role}`: group names compare exactly; a group may give several roles
 * and a role may come from several groups.
 */
export async function createRoleMapping(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<MappingChange> {
  const fields = parseInput(mappingSchema, input);
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
    return applyMappingChange(trx, organization, mapping, 'role_mapping.create', actor);
  });
}

/** Deletes a rule; the last one cannot go while SSO is enabled (every SSO user would lose access). */
export async function removeRoleMapping(db: Db, organization: Organization, id: string, actor: AuditActor): Promise<MappingChange | undefined> {
  return db.transaction().execute(async (trx) => {
    const mapping = await findRoleMapping(trx, organization.id, id);
    if (!mapping) return undefined;
    if (organization.sso_enabled && (await listRoleMappings(trx, organization.id)).length <= 1) {
      throw new IdentityConflictError(
        IDENTITY_LAST_MAPPING,
        'this is the last group mapping and SSO is enabled: without one nobody could sign in with Okta; add the new mapping first, then delete this one',
      );
    }
    await deleteRoleMapping(trx, organization.id, mapping.id);
    return applyMappingChange(trx, organization, mapping, 'role_mapping.delete', actor);
  });
}

/** After a rule was added or deleted, in its transaction: SSO users' roles recomputed, and the audit entry naming whose changed. */
async function applyMappingChange(
  trx: Db,
  organization: Organization,
  mapping: RoleMapping,
  action: 'role_mapping.create' | 'role_mapping.delete',
  actor: AuditActor,
): Promise<MappingChange> {
  const recomputed = await recomputeSsoRoles(trx, organization.id);
  const names = await roleNames(trx, organization.id);
  const changed = recomputed.map((change) => ({ ...change, added: roleNamesOf(names, change.added), removed: roleNamesOf(names, change.removed) }));
  await writeAudit(
    trx,
    auditEntry(actor, organization.id, action, {
      target: { type: 'role_mapping', id: mapping.id },
      details: { group: mapping.group, role: mapping.role_name, users_changed: changed },
    }),
  );
  return { mapping, users_changed: changed };
}
