import type { Organization } from '../../../model/identity.js';
import { GatehouseError } from '../../../errors.js';
import { LoginPathTakenError, UniqueViolationError } from '../../errors.js';
import { constraintKind } from '../../database.js';
import { newId, nowSeconds, pageQuery, toPage, type Page, type PageRequest } from '../shared.js';
import { idKey, organizationFromRow, type Db } from './shared.js';
import { ORGANIZATION_OWNS_GATEWAY } from '../../error-codes.js';

/** Organizations: name and login path unique, an owner, the irreversible SSO switch. */

/**
 * An organization by reference: its id, else its login path (`acme`, any case, as
 * the demo prints it), else its name — the order the in-memory directory uses for the
 * `sso` plugin (src/identity/organization-directory.ts), so the Admin API and the
 * gateway always find the same organization for the same reference.
 */
export async function findOrganization(db: Db, reference: string): Promise<Organization | undefined> {
  const id = idKey(reference);
  if (id) {
    const row = await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
    // A name may look like a UUID only if it was never an id: names that are UUIDs are refused on create.
    return row ? organizationFromRow(row) : undefined;
  }
  const row =
    (await db.selectFrom('organizations').selectAll().where('login_path', '=', reference.toLowerCase()).executeTakeFirst()) ??
    (await db.selectFrom('organizations').selectAll().where('name', '=', reference).executeTakeFirst());
  return row ? organizationFromRow(row) : undefined;
}

/** The organization that signs in at `/login/{loginPath}` (case-insensitive, a leading `/` ignored). */
export async function findOrganizationByLoginPath(db: Db, loginPath: string): Promise<Organization | undefined> {
  const path = loginPath.trim().replace(/^\//, '').toLowerCase();
  if (path === '') return undefined;
  const row = await db.selectFrom('organizations').selectAll().where('login_path', '=', path).executeTakeFirst();
  return row ? organizationFromRow(row) : undefined;
}

/** One page in creation order; `onlyId` narrows it to one organization (callers scoped to theirs). */
export async function listOrganizations(db: Db, request: PageRequest, filter: { onlyId?: string } = {}): Promise<Page<Organization>> {
  const { size, after } = pageQuery(request);
  let query = db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').limit(size + 1);
  if (after) query = query.where(after);
  if (filter.onlyId !== undefined) query = query.where('id', '=', filter.onlyId);
  return toPage(await query.execute(), size, organizationFromRow);
}

/** Every organization in creation order (`ssoOnly`: those with SSO enabled). */
export async function allOrganizations(db: Db, filter: { ssoOnly?: boolean } = {}): Promise<Organization[]> {
  let query = db.selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id');
  if (filter.ssoOnly) query = query.where('sso_enabled', '=', 1);
  return (await query.execute()).map(organizationFromRow);
}

async function assertNameFree(db: Db, name: string, selfId?: string): Promise<void> {
  let query = db.selectFrom('organizations').select('id').where('name', '=', name);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw new UniqueViolationError({ name });
}

async function assertLoginPathFree(db: Db, loginPath: string, selfId?: string): Promise<void> {
  let query = db.selectFrom('organizations').select('id').where('login_path', '=', loginPath);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw new LoginPathTakenError(loginPath);
}

/** The database's own unique errors, for the rare race between the check and the write. */
function translate(error: unknown, name: string, loginPath: string): never {
  if (constraintKind(error) === 'unique') {
    const message = String((error as Error).message ?? '');
    if (message.includes('login_path')) throw new LoginPathTakenError(loginPath);
    throw new UniqueViolationError({ name });
  }
  throw error;
}

/** Inserts an organization without its owner yet (`setOrganizationOwner` follows in the same transaction). */
export async function insertOrganization(db: Db, input: { name: string; login_path: string }): Promise<Organization> {
  await assertNameFree(db, input.name);
  await assertLoginPathFree(db, input.login_path);
  const now = nowSeconds();
  const row = {
    id: newId(),
    name: input.name,
    login_path: input.login_path,
    owner_user_id: null,
    sso_enabled: 0,
    sso_enabled_at: null,
    created_at: now,
    updated_at: now,
  };
  await db
    .insertInto('organizations')
    .values(row)
    .execute()
    .catch((error) => translate(error, input.name, input.login_path));
  return organizationFromRow(row);
}

export async function setOrganizationOwner(db: Db, organizationId: string, userId: string): Promise<void> {
  await db.updateTable('organizations').set({ owner_user_id: userId, updated_at: nowSeconds() }).where('id', '=', organizationId).execute();
}

/** Renames an organization or moves its login path; checks both stay unique. */
export async function updateOrganization(db: Db, current: Organization, changes: { name?: string; login_path?: string }): Promise<Organization> {
  const name = changes.name ?? current.name;
  const loginPath = changes.login_path ?? current.login_path;
  if (name !== current.name) await assertNameFree(db, name, current.id);
  if (loginPath !== current.login_path) await assertLoginPathFree(db, loginPath, current.id);
  const now = nowSeconds();
  await db
    .updateTable('organizations')
    .set({ name, login_path: loginPath, updated_at: now })
    .where('id', '=', current.id)
    .execute()
    .catch((error) => translate(error, name, loginPath));
  return { ...current, name, login_path: loginPath, updated_at: now };
}

/** Turns SSO on (never off: nothing in the store turns it off). */
export async function enableOrganizationSso(db: Db, current: Organization): Promise<Organization> {
  if (current.sso_enabled) return current;
  const now = nowSeconds();
  await db.updateTable('organizations').set({ sso_enabled: 1, sso_enabled_at: now, updated_at: now }).where('id', '=', current.id).execute();
  return { ...current, sso_enabled: true, sso_enabled_at: now, updated_at: now };
}

/**
 * Deletes the organization and, by cascade, its users, roles, mappings, settings, tests
 * and tokens (audit entries stay). Refused while it still owns gateway entities: those
 * carry live traffic, and migration 0003 restricts their `organization_id` rather than
 * cascading or handing them to the operator (see there); this says so in words.
 */
export async function deleteOrganization(db: Db, organizationId: string): Promise<boolean> {
  const owned: string[] = [];
  for (const table of ['services', 'routes', 'plugins', 'consumers'] as const) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('count')).where('organization_id', '=', organizationId).executeTakeFirst();
    const count = Number(row?.count ?? 0);
    if (count > 0) owned.push(`${count} ${table}`);
  }
  if (owned.length > 0) {
    throw new GatehouseError(
      ORGANIZATION_OWNS_GATEWAY,
      `the organization still owns gateway entities (${owned.join(', ')}); delete them first (their users can, with GET/DELETE /routes, /plugins, /services and /consumers), then delete the organization`,
      { status: 409 },
    );
  }
  const result = await db.deleteFrom('organizations').where('id', '=', organizationId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
