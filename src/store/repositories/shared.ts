import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, Kysely, Selectable, SqlBool, Transaction } from 'kysely';
import {
  EntityError,
  ForeignKeyViolationError,
  InvalidOffsetError,
  InvalidSizeError,
  PrimaryKeyViolationError,
  SchemaViolationError,
  UniqueViolationError,
  type FieldIssue,
} from '../errors.js';
import { constraintKind } from '../database.js';
import type { Database } from '../schema.js';
import { isPlainObject, isUuid, type EntityRef } from '../schemas/common.js';
import { ADMIN_FOREIGN_KEY } from '../error-codes.js';

/** The database, or the transaction a write runs in. */
export type Db = Kysely<Database> | Transaction<Database>;

/** The tables of Kong's entities: each has a text `id`, a `created_at` (the paging order) and an owning `organization_id`. */
export type EntityTable = 'services' | 'routes' | 'consumers' | 'plugins';

/** A row of `T`; the intersection spells out, for a generic `T`, the columns every entity table has. */
export type EntityRow<T extends EntityTable> = Selectable<Database[T]> & { id: string; created_at: number; organization_id: string | null };

/** The columns of `T` that hold text: what a lookup or a unique check compares with a string. */
export type TextColumn<T extends EntityTable> = {
  [C in keyof Database[T] & string]: Database[T][C] extends string | null ? C : never;
}[keyof Database[T] & string];

/**
 * Kysely cannot follow a table named by a type parameter, so the helpers below query
 * one entity table (named as a plain string) through this view and give their results
 * that table's own row type. The queries are the same portable builder calls as
 * everywhere else; only their static types are looser inside this module.
 */
type EntityTablesView = Kysely<Record<string, Record<string, string | number | null>>>;

function view(db: Db): EntityTablesView {
  return db as unknown as EntityTablesView;
}

/** Kong's name for one entity of a table, in messages. */
const ENTITY_NAMES = { services: 'service', routes: 'route', consumers: 'consumer', plugins: 'plugin' } as const satisfies Record<EntityTable, string>;

/**
 * Whose gateway entities a repository sees and writes. The operator (the bootstrap
 * token, the CLI, the data plane) sees every entity and what it creates belongs to no
 * organization; an organization's user sees only that organization's entities, and
 * what they create is the organization's. Another organization's entity is treated
 * exactly like a missing one, so its existence does not leak.
 */
export type Owner = { kind: 'operator' } | { kind: 'organization'; organizationId: string };

export const OPERATOR: Owner = { kind: 'operator' };

export function organizationOwner(organizationId: string): Owner {
  return { kind: 'organization', organizationId };
}

/** The `organization_id` a new entity of `owner` gets. */
export function ownerColumn(owner: Owner): string | null {
  return owner.kind === 'operator' ? null : owner.organizationId;
}

/** Whether `owner` may see (and so write) a row. */
export function visibleTo(row: { organization_id: string | null } | undefined, owner: Owner): boolean {
  return row !== undefined && (owner.kind === 'operator' || row.organization_id === owner.organizationId);
}

/** The `organization` field of an entity answer: only on entities an organization owns (the operator's keep Kong's exact shape). */
export function ownerField(row: { organization_id: string | null }): { organization?: { id: string } } {
  return row.organization_id === null ? {} : { organization: { id: row.organization_id } };
}

/**
 * A request body without the read-only `organization` an answer carries: an entity read
 * with GET can be sent back with PUT, and ownership never changes through a body.
 */
export function withoutOwnerField(input: unknown): unknown {
  if (!isPlainObject(input) || !('organization' in input)) return input;
  const { organization: _organization, ...rest } = input;
  return rest;
}

/** Kong's paging: `size` (default 100, at most 1000) and an opaque `offset` cursor. */
export interface PageRequest {
  size?: number | undefined;
  offset?: string | undefined;
}

/** One page; `offset` is the cursor of the next page, null on the last one. */
export interface Page<T> {
  data: T[];
  offset: string | null;
}

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Cursor {
  createdAt: number;
  id: string;
}

export function pageSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) throw new InvalidSizeError();
  return size;
}

/**
 * The cursor is the (created_at, id) of the last row of a page, base64url-encoded:
 * keyset paging stays correct while rows are added or removed between pages, which
 * LIMIT/OFFSET does not, and reads in creation order.
 */
export function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

export function decodeCursor(offset: string): Cursor {
  try {
    const value: unknown = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isInteger(value[0]) && typeof value[1] === 'string') {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new InvalidOffsetError(offset);
}

/** Validates a page request; returns the size and the row condition for the offset. */
export function pageQuery(request: PageRequest): {
  size: number;
  after: ((eb: ExpressionBuilder<any, any>) => Expression<SqlBool>) | undefined;
} {
  const size = pageSize(request.size);
  if (request.offset === undefined || request.offset === '') return { size, after: undefined };
  const cursor = decodeCursor(request.offset);
  return {
    size,
    after: (eb) =>
      eb.or([eb('created_at', '>', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '>', cursor.id)])]),
  };
}

/** Cuts the `size + 1` rows fetched into a page and the next cursor. */
export function toPage<Row extends { created_at: number; id: string }, T>(rows: Row[], size: number, map: (row: Row) => T): Page<T> {
  const more = rows.length > size;
  const kept = more ? rows.slice(0, size) : rows;
  return { data: kept.map(map), offset: more ? encodeCursor(kept[kept.length - 1]!) : null };
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function newId(): string {
  return randomUUID();
}

export function toJsonColumn(value: readonly unknown[] | null): string | null {
  return value === null ? null : JSON.stringify(value);
}

export function fromJsonColumn<T>(value: string | null): T | null {
  return value === null ? null : (JSON.parse(value) as T);
}

export function toBool(value: number): boolean {
  return value === 1;
}

export function fromBool(value: boolean): number {
  return value ? 1 : 0;
}

/** A PATCH body must be an object; applies it over the current values (top level). */
export function mergePatch(current: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!isPlainObject(patch)) throw new SchemaViolationError([{ path: [], message: 'expected a JSON object or form fields' }]);
  const merged: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * PUT names the entity in the URL; a body naming another one is a mistake worth
 * reporting rather than silently choosing one of the two.
 */
export function keyMismatch(input: unknown, field: string, expected: string): FieldIssue[] {
  if (!isPlainObject(input)) return [];
  const given = input[field];
  if (given === undefined || given === null || given === expected) return [];
  return [{ path: [field], message: `must match the ${field} in the URL ('${expected}'), or be left out` }];
}

/**
 * The store checks unique values and references itself and reports them in Kong's
 * words; this translates the database's own constraint errors for the rare race
 * (another process writing the same file between the check and the write).
 */
export function translateConstraintError(error: unknown, unique: Record<string, unknown>, entity: string): never {
  const kind = constraintKind(error);
  if (kind === 'unique') throw new UniqueViolationError(unique);
  if (kind === 'foreign-key') {
    throw new EntityError(ADMIN_FOREIGN_KEY, `an entity this ${entity} references was deleted while the request ran; send the request again`, {
      status: 400,
      kongCode: 4,
      kongName: 'foreign key violation',
    });
  }
  throw error;
}

/** PUT by name onto an existing entity: a body id naming another entity is refused (ids never change). */
export function assertSameId(existingId: string | undefined, bodyId: string | undefined): void {
  if (existingId && bodyId && bodyId.toLowerCase() !== existingId) {
    throw new SchemaViolationError([{ path: ['id'], message: `cannot be changed (the entity's id is ${existingId}); leave it out` }]);
  }
}

/** The row whose `column` equals `value`, if any. */
export async function findRowBy<T extends EntityTable>(db: Db, table: T, column: TextColumn<T>, value: string): Promise<EntityRow<T> | undefined> {
  const row = await view(db).selectFrom(table as string).selectAll().where(column as string, '=', value).executeTakeFirst();
  return row as EntityRow<T> | undefined;
}

/** The row with this id (compared in lower case, as ids are stored). */
export function findRowById<T extends EntityTable>(db: Db, table: T, id: string): Promise<EntityRow<T> | undefined> {
  return findRowBy(db, table, 'id' as TextColumn<T>, id.toLowerCase());
}

/**
 * Kong's `{id or name}` keys: a UUID is looked up as an id, anything else in
 * `nameColumn`. With `uuidMayBeName`, a UUID that is no row's id is looked up as a
 * name too (consumers: a username may look like a UUID).
 */
export async function findRowByIdOrName<T extends EntityTable>(
  db: Db,
  table: T,
  key: string,
  nameColumn: TextColumn<T>,
  uuidMayBeName = false,
): Promise<EntityRow<T> | undefined> {
  if (isUuid(key)) {
    const row = await findRowById(db, table, key);
    if (row || !uuidMayBeName) return row;
  }
  return findRowBy(db, table, nameColumn, key);
}

/** POST or PUT with an explicit id that another entity already has: Kong's primary key violation. */
export async function assertIdFree(db: Db, table: EntityTable, id: string): Promise<void> {
  if (await view(db).selectFrom(table as string).select('id').where('id', '=', id).executeTakeFirst()) throw new PrimaryKeyViolationError(id);
}

/** Refuses a unique `value` of `column` that a row other than `selfId` already holds (null is never taken). */
export async function assertUnique<T extends EntityTable>(
  db: Db,
  table: T,
  column: TextColumn<T>,
  value: string | null,
  selfId: string | undefined,
): Promise<void> {
  if (value === null) return;
  let query = view(db).selectFrom(table as string).select('id').where(column as string, '=', value);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw new UniqueViolationError({ [column]: value });
}

/**
 * One page of `table` in creation order; `equals` narrows it to rows whose column has
 * the value (an undefined value is no condition).
 */
export async function listRows<T extends EntityTable, E>(
  db: Db,
  table: T,
  request: PageRequest,
  map: (row: EntityRow<T>) => E,
  equals: Partial<Record<TextColumn<T>, string | undefined>> = {},
): Promise<Page<E>> {
  const { size, after } = pageQuery(request);
  let query = view(db).selectFrom(table as string).selectAll().orderBy('created_at').orderBy('id').limit(size + 1);
  if (after) query = query.where(after);
  for (const [column, value] of Object.entries(equals) as Array<[string, string | undefined]>) {
    if (value !== undefined) query = query.where(column, '=', value);
  }
  const rows = (await query.execute()) as unknown as Array<EntityRow<T>>;
  return toPage(rows, size, map);
}

/** What the entity schemas' parse functions return. */
export interface ParseResult<T> {
  data: T | undefined;
  issues: readonly FieldIssue[];
}

/** The parsed fields, or Kong's schema violation naming every issue. */
export function parseOrThrow<T>(parse: (input: unknown) => ParseResult<T>, input: unknown): T {
  const result = parse(input);
  if (!result.data) throw new SchemaViolationError(result.issues);
  return result.data;
}

/** A stored entity as input fields (without its timestamps), for PATCH to merge onto. */
export function toInput(entity: { created_at: number; updated_at: number; organization?: unknown }): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, organization: _o, ...fields } = entity;
  return fields;
}

/** The entities a reference field (`service`, `route`, `consumer`) may name, and by which keys besides `id`. */
const REFERENCES = {
  service: { table: 'services', nameColumn: 'name', keys: ['name'] },
  route: { table: 'routes', nameColumn: 'name', keys: ['name'] },
  // A consumer reference may name the username as `username` or as `name`.
  consumer: { table: 'consumers', nameColumn: 'username', keys: ['username', 'name'] },
} as const;

/**
 * Resolves a reference (`{"id"}`, or `{"name"}` / `{"username"}`) to an id, or reports
 * Kong's foreign key violation. An organization's entities may only reference that
 * organization's: another's is reported exactly like a missing one.
 */
export async function resolveRef(db: Db, field: keyof typeof REFERENCES, ref: EntityRef | null, owner: Owner = OPERATOR): Promise<string | null> {
  if (ref === null) return null;
  const { table, nameColumn, keys } = REFERENCES[field];
  let query = view(db).selectFrom(table as string).select('id');
  if (owner.kind === 'organization') query = query.where('organization_id', '=', owner.organizationId);
  if ('id' in ref) query = query.where('id', '=', ref.id.toLowerCase());
  else {
    const key = keys.find((candidate) => candidate in ref);
    if (key === undefined) throw new ForeignKeyViolationError(field, ref, table);
    query = query.where(nameColumn, '=', (ref as Record<typeof key, string>)[key]);
  }
  const row = await query.executeTakeFirst();
  if (!row) throw new ForeignKeyViolationError(field, ref, table);
  return row.id as string;
}

/**
 * Writes a prepared row: inserts it, or replaces the stored row with its id. The
 * database's own constraint errors are reported as Kong's, naming `unique`.
 */
export async function saveRow<T extends EntityTable>(
  db: Db,
  table: T,
  row: EntityRow<T>,
  mode: 'insert' | 'update',
  unique: Record<string, unknown>,
): Promise<void> {
  const values = row as unknown as Record<string, string | number | null> & { id: string };
  const write =
    mode === 'update'
      ? view(db).updateTable(table as string).set(values).where('id', '=', values.id).execute()
      : view(db).insertInto(table as string).values(values).execute();
  await write.catch((error) => translateConstraintError(error, unique, ENTITY_NAMES[table]));
}

export async function deleteRowById(db: Db, table: EntityTable, id: string): Promise<void> {
  await view(db).deleteFrom(table as string).where('id', '=', id).execute();
}
