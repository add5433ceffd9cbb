import type { Kysely } from 'kysely';
import { z } from 'zod';
import { nameText } from '../schema/name.js';
import { SchemaViolationError, type FieldIssue } from '../store/errors.js';
import { findRole, insertRole, writeAudit } from '../store/repositories/identity/index.js';
import { isUuid } from '../store/schemas/common.js';
import type { Database } from '../store/schema.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import { parseInput } from './input-fields.js';
import type { Organization, Role } from '../model/identity.js';

/**
 * An organization's roles: the three built-in ones come with the organization; custom
 * roles are for its own applications behind the gateway. Other requests name roles by
 * id or name (`resolveRoles`).
 */

type Db = Kysely<Database>;

const roleSchema = z
  .object({
    name: nameText({ max: 100, trim: true }).refine((name) => !isUuid(name), { error: 'must not be a UUID (roles are named by id or name)' }),
    description: z.string().trim().max(500, { error: 'length must be at most 500' }).nullable().optional(),
  })
  .strict();

/** A custom role (for the organization's own applications behind the gateway). */
export async function createRole(db: Db, organization: Organization, input: unknown, actor: AuditActor): Promise<Role> {
  const fields = parseInput(roleSchema, input);
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
export async function resolveRoles(db: Db, organizationId: string, references: readonly string[], field: string): Promise<Role[]> {
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

/** Role ids as people read them, by the names in `names` (an id whose role is gone stays an id). */
export function roleNamesOf(names: ReadonlyMap<string, string>, ids: readonly string[]): string[] {
  return ids.map((id) => names.get(id) ?? id);
}
