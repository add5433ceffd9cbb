import { sql, type Kysely } from 'kysely';
import type { RoleGrant, SsoProfile, User } from '../../../model/identity.js';
import { UniqueViolationError } from '../../errors.js';
import { constraintKind } from '../../database.js';
import type { Database } from '../../schema.js';
import { newId, nowSeconds, pageQuery, toPage, type Page, type PageRequest } from '../shared.js';
import { IdentityConflictError, escapeLike, idKey, likeEscaped, usersWithRoles, type Db } from './shared.js';
import { IDENTITY_EMAIL_TAKEN } from '../../error-codes.js';

/** Users of organizations: native accounts (email and password) and SSO accounts (issuer and subject). */

export interface UserFilter {
  status?: 'active' | 'deactivated' | undefined;
  source?: 'native' | 'sso' | undefined;
  /** Part of the email or the name, case-insensitive. */
  search?: string | undefined;
}

async function one(db: Db, row: Parameters<typeof usersWithRoles>[1][number] | undefined): Promise<User | undefined> {
  if (!row) return undefined;
  return (await usersWithRoles(db, [row]))[0];
}

/** A user of the organization by id or by email (case-insensitive). */
export async function findUser(db: Db, organizationId: string, idOrEmail: string): Promise<User | undefined> {
  const id = idKey(idOrEmail);
  let query = db.selectFrom('users').selectAll().where('organization_id', '=', organizationId);
  query = id ? query.where('id', '=', id) : query.where('email_lower', '=', idOrEmail.trim().toLowerCase());
  return one(db, await query.executeTakeFirst());
}

/** A user by id in any organization (authentication of Admin API callers). */
export async function findUserById(db: Db, userId: string): Promise<User | undefined> {
  return one(db, await db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst());
}

export async function findUserBySubject(db: Db, organizationId: string, issuer: string, subject: string): Promise<User | undefined> {
  return one(
    db,
    await db
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('issuer', '=', issuer)
      .where('subject', '=', subject)
      .executeTakeFirst(),
  );
}

export async function findUserByEmail(db: Db, organizationId: string, email: string): Promise<User | undefined> {
  return one(
    db,
    await db.selectFrom('users').selectAll().where('organization_id', '=', organizationId).where('email_lower', '=', email.trim().toLowerCase()).executeTakeFirst(),
  );
}

/** One page of the organization's users in creation order, narrowed by status, source and a search text. */
export async function listUsers(db: Db, organizationId: string, request: PageRequest, filter: UserFilter = {}): Promise<Page<User>> {
  const { size, after } = pageQuery(request);
  let query = db.selectFrom('users').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id').limit(size + 1);
  if (after) query = query.where(after);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.source) query = query.where('source', '=', filter.source);
  if (filter.search) {
    const pattern = `%${escapeLike(filter.search.trim().toLowerCase())}%`;
    query = query.where((eb) =>
      eb.or([likeEscaped(sql`${sql.ref('email_lower')}`, pattern), likeEscaped(sql`lower(${sql.ref('name')})`, pattern)]),
    );
  }
  const rows = await query.execute();
  const page = toPage(rows, size, (row) => row);
  return { data: await usersWithRoles(db, page.data), offset: page.offset };
}

async function assertEmailFree(db: Db, organizationId: string, email: string, selfId: string | undefined, report: 'unique' | 'sso'): Promise<void> {
  let query = db.selectFrom('users').select(['id', 'source']).where('organization_id', '=', organizationId).where('email_lower', '=', email.toLowerCase());
  if (selfId) query = query.where('id', '<>', selfId);
  const other = await query.executeTakeFirst();
  if (!other) return;
  if (report === 'unique') throw new UniqueViolationError({ email });
  throw new IdentityConflictError(
    IDENTITY_EMAIL_TAKEN,
    `another account of this organization (a ${other.source} user) already uses the email ${email}; users are told apart by their Okta id, so change that account's email or deactivate it first`,
    'email',
  );
}

/** A native account (email and password); roles are granted separately. */
export async function insertNativeUser(db: Db, organizationId: string, input: { email: string; name: string | null; password_hash: string }): Promise<User> {
  const email = input.email.trim();
  await assertEmailFree(db, organizationId, email, undefined, 'unique');
  const now = nowSeconds();
  const row = {
    id: newId(),
    organization_id: organizationId,
    email,
    email_lower: email.toLowerCase(),
    name: input.name,
    status: 'active' as const,
    source: 'native' as const,
    password_hash: input.password_hash,
    issuer: null,
    subject: null,
    okta_groups: null,
    groups_source: null,
    last_sign_in_at: null,
    deactivated_at: null,
    created_at: now,
    updated_at: now,
  };
  await db
    .insertInto('users')
    .values(row)
    .execute()
    .catch((error) => {
      if (constraintKind(error) === 'unique') throw new UniqueViolationError({ email });
      throw error;
    });
  return (await usersWithRoles(db, [row]))[0]!;
}

/** The stored password hash of a native user of the organization (for sign-in only; never returned by the API). */
/** IdentityStore.recordSignIn. */
export async function recordSignIn(db: Db, organizationId: string, userId: string): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: nowSeconds() }).where('organization_id', '=', organizationId).where('id', '=', userId).execute();
}

export async function passwordHash(db: Db, organizationId: string, userId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('users')
    .select('password_hash')
    .where('organization_id', '=', organizationId)
    .where('id', '=', userId)
    .where('source', '=', 'native')
    .executeTakeFirst();
  return row?.password_hash ?? undefined;
}

/** Role id → name for one organization. */
export async function roleNames(db: Db, organizationId: string): Promise<Map<string, string>> {
  const rows = await db.selectFrom('roles').select(['id', 'name']).where('organization_id', '=', organizationId).execute();
  return new Map(rows.map((row) => [row.id, row.name]));
}

export async function setPasswordHash(db: Db, userId: string, hash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash, updated_at: nowSeconds() }).where('id', '=', userId).execute();
}

/**
 * Replaces a user's roles with `roleIds` given by hand (granted_by null); roles kept
 * keep their grant time. Returns the role ids added and removed.
 */
export async function setHandGrantedRoles(db: Db, userId: string, roleIds: readonly string[]): Promise<{ added: string[]; removed: string[] }> {
  const current = await db.selectFrom('user_roles').select('role_id').where('user_id', '=', userId).execute();
  const before = new Set(current.map((row) => row.role_id));
  const after = new Set(roleIds);
  const added = [...after].filter((id) => !before.has(id));
  const removed = [...before].filter((id) => !after.has(id));
  if (removed.length > 0) await db.deleteFrom('user_roles').where('user_id', '=', userId).where('role_id', 'in', removed).execute();
  const now = nowSeconds();
  if (added.length > 0) {
    await db
      .insertInto('user_roles')
      .values(added.map((role_id) => ({ user_id: userId, role_id, granted_by: null, granted_at: now })))
      .execute();
  }
  return { added, removed };
}

/** Changes a user's name (the status has its own writes: ./account-status.ts). */
export async function updateUserName(db: Db, userId: string, name: string | null): Promise<void> {
  await db.updateTable('users').set({ name, updated_at: nowSeconds() }).where('id', '=', userId).execute();
}

/**
 * Replaces an SSO user's roles with `grants`, keeping the grant time of roles that
 * stay; grants naming roles of other organizations are ignored.
 */
export async function replaceGrantedRoles(
  db: Db,
  user: { id: string; organization_id: string },
  grants: readonly RoleGrant[],
): Promise<{ added: string[]; removed: string[] }> {
  const orgRoles = new Set(
    (await db.selectFrom('roles').select('id').where('organization_id', '=', user.organization_id).execute()).map((row) => row.id),
  );
  const wanted = new Map(grants.filter((grant) => orgRoles.has(grant.role_id)).map((grant) => [grant.role_id, grant.granted_by]));
  const current = await db.selectFrom('user_roles').select(['role_id', 'granted_by']).where('user_id', '=', user.id).execute();
  const before = new Map(current.map((row) => [row.role_id, row.granted_by]));
  const added = [...wanted.keys()].filter((id) => !before.has(id));
  const removed = [...before.keys()].filter((id) => !wanted.has(id));
  if (removed.length > 0) await db.deleteFrom('user_roles').where('user_id', '=', user.id).where('role_id', 'in', removed).execute();
  const now = nowSeconds();
  for (const [roleId, grantedBy] of wanted) {
    const json = JSON.stringify(grantedBy);
    if (!before.has(roleId)) {
      await db.insertInto('user_roles').values({ user_id: user.id, role_id: roleId, granted_by: json, granted_at: now }).execute();
    } else if (before.get(roleId) !== json) {
      await db.updateTable('user_roles').set({ granted_by: json }).where('user_id', '=', user.id).where('role_id', '=', roleId).execute();
    }
  }
  return { added, removed };
}

/**
 * Active SSO users of the organization with the groups seen at their last sign-in or
 * sync, for recomputing their roles after a mapping change (src/identity/provisioning.ts).
 * Deactivated users are left out: their roles stay as they were at deactivation.
 */
export async function activeSsoUsersLastGroups(db: Db, organizationId: string): Promise<Array<{ id: string; email: string; groups: string[] }>> {
  const users = await db
    .selectFrom('users')
    .select(['id', 'email', 'okta_groups'])
    .where('organization_id', '=', organizationId)
    .where('source', '=', 'sso')
    .where('status', '=', 'active')
    .execute();
  return users.map((user) => ({ id: user.id, email: user.email, groups: user.okta_groups === null ? [] : (JSON.parse(user.okta_groups) as string[]) }));
}

/** IdentityStore.saveSsoUser: one transaction for the profile, the groups seen and the roles. */
export async function saveSsoUser(
  db: Kysely<Database>,
  organizationId: string,
  profile: SsoProfile,
  grants: RoleGrant[],
  options: { create: boolean; signedIn: boolean },
): Promise<{ user: User; created: boolean; rolesAdded: string[]; rolesRemoved: string[] } | undefined> {
  return db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('users')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .where('issuer', '=', profile.issuer)
      .where('subject', '=', profile.subject)
      .executeTakeFirst();
    if (!existing && !options.create) return undefined;
    if (existing?.status === 'deactivated') {
      // Kept as it was at deactivation (roles_as_of): a refused sign-in changes nothing.
      return { user: (await findUserById(trx, existing.id))!, created: false, rolesAdded: [], rolesRemoved: [] };
    }
    const email = profile.email.trim();
    await assertEmailFree(trx, organizationId, email, existing?.id, 'sso');
    const now = nowSeconds();
    const common = {
      email,
      email_lower: email.toLowerCase(),
      name: profile.name,
      okta_groups: JSON.stringify(profile.groups),
      groups_source: profile.groups_source,
      updated_at: now,
    };
    let id: string;
    if (existing) {
      id = existing.id;
      await trx
        .updateTable('users')
        .set({ ...common, ...(options.signedIn ? { last_sign_in_at: now } : {}) })
        .where('id', '=', id)
        .execute();
    } else {
      id = newId();
      await trx
        .insertInto('users')
        .values({
          ...common,
          id,
          organization_id: organizationId,
          status: 'active',
          source: 'sso',
          password_hash: null,
          issuer: profile.issuer,
          subject: profile.subject,
          last_sign_in_at: options.signedIn ? now : null,
          deactivated_at: null,
          created_at: now,
        })
        .execute();
    }
    const { added, removed } = await replaceGrantedRoles(trx, { id, organization_id: organizationId }, grants);
    const names = await roleNames(trx, organizationId);
    const user = await findUserById(trx, id);
    return {
      user: user!,
      created: !existing,
      rolesAdded: added.map((roleId) => names.get(roleId) ?? roleId),
      rolesRemoved: removed.map((roleId) => names.get(roleId) ?? roleId),
    };
  });
}

/** Active SSO users of the organization when SSO is enabled and an API token is set; otherwise none. */
export async function activeSsoUsers(db: Db, organizationId: string): Promise<User[]> {
  const eligible = await db
    .selectFrom('organizations')
    .innerJoin('identity_settings', 'identity_settings.organization_id', 'organizations.id')
    .select('organizations.id')
    .where('organizations.id', '=', organizationId)
    .where('organizations.sso_enabled', '=', 1)
    .where('identity_settings.api_token', 'is not', null)
    .executeTakeFirst();
  if (!eligible) return [];
  const rows = await db
    .selectFrom('users')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('source', '=', 'sso')
    .where('status', '=', 'active')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return usersWithRoles(db, rows);
}
