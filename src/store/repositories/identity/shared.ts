import { randomBytes } from 'node:crypto';
import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { Organization, Role, RoleAssignment, User } from '../../../model/identity.js';
import { GatehouseError } from '../../../errors.js';
import type { OrganizationsTable, RolesTable, UsersTable } from '../../schema.js';
import { isUuid } from '../../schemas/common.js';
import type { Db } from '../shared.js';

export type { Db };

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds first, so ids of rows written in
 * the same second still sort in the order they were written (the audit log pages
 * newest first by `(created_at, id)`).
 */
export function timeOrderedId(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function organizationFromRow(row: Selectable<OrganizationsTable>): Organization {
  return {
    id: row.id,
    name: row.name,
    login_path: row.login_path,
    owner_user_id: row.owner_user_id,
    sso_enabled: row.sso_enabled === 1,
    sso_enabled_at: row.sso_enabled_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function roleFromRow(row: Selectable<RolesTable>): Role {
  return { id: row.id, organization_id: row.organization_id, name: row.name, description: row.description, builtin: row.builtin === 1 };
}

export function userFromRow(row: Selectable<UsersTable>, roles: RoleAssignment[]): User {
  return {
    id: row.id,
    organization_id: row.organization_id,
    email: row.email,
    name: row.name,
    status: row.status,
    source: row.source,
    issuer: row.issuer,
    subject: row.subject,
    okta_groups: row.okta_groups === null ? null : (JSON.parse(row.okta_groups) as string[]),
    groups_source: row.groups_source,
    last_sign_in_at: row.last_sign_in_at,
    deactivated_at: row.deactivated_at,
    roles_as_of: row.status === 'deactivated' ? (row.deactivated_at ?? row.updated_at) : null,
    roles,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** Every role assignment of the given users, keyed by user id, ordered by role name. */
export async function roleAssignments(db: Db, userIds: readonly string[]): Promise<Map<string, RoleAssignment[]>> {
  const result = new Map<string, RoleAssignment[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return result;
  // Chunked: SQLite limits the number of bound parameters of one statement.
  for (let start = 0; start < userIds.length; start += 500) {
    const chunk = userIds.slice(start, start + 500);
    const rows = await db
      .selectFrom('user_roles')
      .innerJoin('roles', 'roles.id', 'user_roles.role_id')
      .select(['user_roles.user_id', 'user_roles.role_id', 'roles.name', 'user_roles.granted_by', 'user_roles.granted_at'])
      .where('user_roles.user_id', 'in', chunk)
      .orderBy('roles.name')
      .execute();
    for (const row of rows) {
      result.get(row.user_id)!.push({
        role_id: row.role_id,
        role_name: row.name,
        granted_by: row.granted_by === null ? null : (JSON.parse(row.granted_by) as RoleAssignment['granted_by']),
        granted_at: row.granted_at,
      });
    }
  }
  return result;
}

export async function usersWithRoles(db: Db, rows: ReadonlyArray<Selectable<UsersTable>>): Promise<User[]> {
  const roles = await roleAssignments(
    db,
    rows.map((row) => row.id),
  );
  return rows.map((row) => userFromRow(row, roles.get(row.id) ?? []));
}

/** A lookup key that may be an id (UUID) or a name/email: ids are compared lower-case. */
export function idKey(key: string): string | undefined {
  return isUuid(key) ? key.toLowerCase() : undefined;
}

/** A conflict with the current state (409), naming the field it concerns. */
export class IdentityConflictError extends GatehouseError {
  constructor(code: string, message: string, field?: string) {
    super(code, message, { status: 409, ...(field ? { field } : {}) });
    this.name = 'IdentityConflictError';
  }
}

/** A request the current state does not allow, or a missing prerequisite (400/404/409 as given). */
export class IdentityRequestError extends GatehouseError {
  constructor(code: string, message: string, status: number, field?: string) {
    super(code, message, { status, ...(field ? { field } : {}) });
    this.name = 'IdentityRequestError';
  }
}

/** Escapes `%`, `_` and `\` so `text` matches itself in a LIKE pattern with `escape '\'`. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `expression LIKE pattern ESCAPE '\'` (portable: SQLite and PostgreSQL). */
export function likeEscaped(expression: RawBuilder<unknown>, pattern: string): RawBuilder<boolean> {
  return sql<boolean>`${expression} like ${pattern} escape '\\'`;
}
