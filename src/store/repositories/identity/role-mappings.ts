import type { RoleMapping } from '../../../model/identity.js';
import { UniqueViolationError } from '../../errors.js';
import { constraintKind } from '../../database.js';
import { newId, nowSeconds } from '../shared.js';
import type { Db } from './shared.js';

/** Okta group → role rules of an organization. */

export async function listRoleMappings(db: Db, organizationId: string): Promise<RoleMapping[]> {
  const rows = await db
    .selectFrom('role_mappings')
    .innerJoin('roles', 'roles.id', 'role_mappings.role_id')
    .select(['role_mappings.id', 'role_mappings.organization_id', 'role_mappings.group_name', 'role_mappings.role_id', 'roles.name', 'role_mappings.created_at'])
    .where('role_mappings.organization_id', '=', organizationId)
    .orderBy('role_mappings.group_name')
    .orderBy('roles.name')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    organization_id: row.organization_id,
    group: row.group_name,
    role_id: row.role_id,
    role_name: row.name,
    created_at: row.created_at,
  }));
}

export async function findRoleMapping(db: Db, organizationId: string, id: string): Promise<RoleMapping | undefined> {
  return (await listRoleMappings(db, organizationId)).find((mapping) => mapping.id === id.toLowerCase());
}

/** A rule `{group, role}`; the same pair twice is a 409. */
export async function insertRoleMapping(db: Db, organizationId: string, input: { group: string; role_id: string }): Promise<RoleMapping> {
  const duplicate = await db
    .selectFrom('role_mappings')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('group_name', '=', input.group)
    .where('role_id', '=', input.role_id)
    .executeTakeFirst();
  if (duplicate) throw new UniqueViolationError({ group: input.group, role: { id: input.role_id } });
  const row = { id: newId(), organization_id: organizationId, group_name: input.group, role_id: input.role_id, created_at: nowSeconds() };
  await db
    .insertInto('role_mappings')
    .values(row)
    .execute()
    .catch((error) => {
      if (constraintKind(error) === 'unique') throw new UniqueViolationError({ group: input.group, role: { id: input.role_id } });
      throw error;
    });
  return (await findRoleMapping(db, organizationId, row.id))!;
}

export async function deleteRoleMapping(db: Db, organizationId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('role_mappings').where('organization_id', '=', organizationId).where('id', '=', id.toLowerCase()).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
