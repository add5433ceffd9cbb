import { BUILTIN_ROLES, type Role } from '../../../model/identity.js';
import { UniqueViolationError } from '../../errors.js';
import { constraintKind } from '../../database.js';
import { newId, nowSeconds } from '../shared.js';
import { idKey, roleFromRow, type Db } from './shared.js';

/** What each built-in role is for, shown in role lists. */
export const BUILTIN_ROLE_DESCRIPTIONS: Record<string, string> = {
  [BUILTIN_ROLES.organizationAdmin]: 'Everything in the organization: identity settings, roles, mappings, users, and the gateway',
  [BUILTIN_ROLES.gatewayAdmin]: "The organization's gateway: services, routes, plugins, consumers",
  [BUILTIN_ROLES.viewer]: 'Read only',
};

/** Creates the three built-in roles of a new organization. */
export async function createBuiltinRoles(db: Db, organizationId: string): Promise<Role[]> {
  const now = nowSeconds();
  const rows = Object.values(BUILTIN_ROLES).map((name) => ({
    id: newId(),
    organization_id: organizationId,
    name,
    description: BUILTIN_ROLE_DESCRIPTIONS[name] ?? null,
    builtin: 1,
    created_at: now,
    updated_at: now,
  }));
  await db.insertInto('roles').values(rows).execute();
  return rows.map(roleFromRow);
}

/** The organization's roles: built-in ones first, then custom ones by name. */
export async function listRoles(db: Db, organizationId: string): Promise<Role[]> {
  const rows = await db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId).orderBy('builtin', 'desc').orderBy('name').execute();
  return rows.map(roleFromRow);
}

/** A role of the organization by id or exact name. */
export async function findRole(db: Db, organizationId: string, idOrName: string): Promise<Role | undefined> {
  const id = idKey(idOrName);
  let query = db.selectFrom('roles').selectAll().where('organization_id', '=', organizationId);
  query = id ? query.where('id', '=', id) : query.where('name', '=', idOrName);
  const row = await query.executeTakeFirst();
  return row ? roleFromRow(row) : undefined;
}

/** A custom role; names are unique within the organization (built-in names included). */
export async function insertRole(db: Db, organizationId: string, input: { name: string; description: string | null }): Promise<Role> {
  const taken = await db.selectFrom('roles').select('id').where('organization_id', '=', organizationId).where('name', '=', input.name).executeTakeFirst();
  if (taken) throw new UniqueViolationError({ name: input.name });
  const now = nowSeconds();
  const row = { id: newId(), organization_id: organizationId, name: input.name, description: input.description, builtin: 0, created_at: now, updated_at: now };
  await db
    .insertInto('roles')
    .values(row)
    .execute()
    .catch((error) => {
      if (constraintKind(error) === 'unique') throw new UniqueViolationError({ name: input.name });
      throw error;
    });
  return roleFromRow(row);
}
