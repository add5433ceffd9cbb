import { randomUUID } from 'node:crypto';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import { EntityError, InvalidOffsetError, InvalidSizeError, SchemaViolationError, UniqueViolationError, type FieldIssue } from '../errors.js';
import { constraintKind } from '../database.js';
import { isPlainObject } from '../schemas/common.js';

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

interface Cursor {
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
function encodeCursor(row: { created_at: number; id: string }): string {
  return Buffer.from(JSON.stringify([row.created_at, row.id])).toString('base64url');
}

function decodeCursor(offset: string): Cursor {
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
    throw new EntityError('GH-ADMIN-FOREIGN-KEY', `an entity this ${entity} references was deleted while the request ran; send the request again`, {
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
