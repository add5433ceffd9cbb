import type { Kysely, Selectable, Transaction } from 'kysely';
import type { RouteEntity } from '../../gateway/entities.js';
import { ForeignKeyViolationError, PrimaryKeyViolationError, SchemaViolationError, UniqueViolationError } from '../errors.js';
import type { Database, RoutesTable } from '../schema.js';
import { isUuid, type EntityRef } from '../schemas/common.js';
import { parseRoute, type RouteFields } from '../schemas/route.js';
import {
  assertSameId,
  fromBool,
  fromJsonColumn,
  keyMismatch,
  mergePatch,
  newId,
  nowSeconds,
  pageQuery,
  toBool,
  toJsonColumn,
  toPage,
  translateConstraintError,
  type Page,
  type PageRequest,
} from './shared.js';

type Row = Selectable<RoutesTable>;
type Db = Kysely<Database> | Transaction<Database>;

export function routeFromRow(row: Row): RouteEntity {
  return {
    id: row.id,
    name: row.name,
    protocols: JSON.parse(row.protocols) as RouteEntity['protocols'],
    methods: fromJsonColumn<string[]>(row.methods),
    hosts: fromJsonColumn<string[]>(row.hosts),
    paths: fromJsonColumn<string[]>(row.paths),
    strip_path: toBool(row.strip_path),
    preserve_host: toBool(row.preserve_host),
    regex_priority: row.regex_priority,
    service: row.service_id === null ? null : { id: row.service_id },
    tags: fromJsonColumn<string[]>(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toRow(id: string, fields: RouteFields, serviceId: string | null, createdAt: number, updatedAt: number): Row {
  return {
    id,
    name: fields.name,
    service_id: serviceId,
    protocols: JSON.stringify(fields.protocols),
    methods: toJsonColumn(fields.methods),
    hosts: toJsonColumn(fields.hosts),
    paths: toJsonColumn(fields.paths),
    strip_path: fromBool(fields.strip_path),
    preserve_host: fromBool(fields.preserve_host),
    regex_priority: fields.regex_priority,
    tags: toJsonColumn(fields.tags),
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

function toInput(entity: RouteEntity): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, ...fields } = entity;
  return fields;
}

function parseOrThrow(input: unknown): RouteFields {
  const result = parseRoute(input);
  if (!result.data) throw new SchemaViolationError(result.issues);
  return result.data;
}

export async function findRouteRow(db: Db, idOrName: string): Promise<Row | undefined> {
  if (isUuid(idOrName)) {
    return db.selectFrom('routes').selectAll().where('id', '=', idOrName.toLowerCase()).executeTakeFirst();
  }
  return db.selectFrom('routes').selectAll().where('name', '=', idOrName).executeTakeFirst();
}

/** Resolves `{"id"}` or `{"name"}` to a service id, or reports Kong's foreign key violation. */
export async function resolveServiceRef(db: Db, ref: EntityRef | null, field = 'service'): Promise<string | null> {
  if (ref === null) return null;
  let query = db.selectFrom('services').select('id');
  if ('id' in ref) query = query.where('id', '=', ref.id.toLowerCase());
  else if ('name' in ref) query = query.where('name', '=', ref.name);
  else throw new ForeignKeyViolationError(field, ref, 'services');
  const row = await query.executeTakeFirst();
  if (!row) throw new ForeignKeyViolationError(field, ref, 'services');
  return row.id;
}

/** Resolves a plugin's `route` reference (`{"id"}` or `{"name"}`). */
export async function resolveRouteRef(db: Db, ref: EntityRef | null): Promise<string | null> {
  if (ref === null) return null;
  let query = db.selectFrom('routes').select('id');
  if ('id' in ref) query = query.where('id', '=', ref.id.toLowerCase());
  else if ('name' in ref) query = query.where('name', '=', ref.name);
  else throw new ForeignKeyViolationError('route', ref, 'routes');
  const row = await query.executeTakeFirst();
  if (!row) throw new ForeignKeyViolationError('route', ref, 'routes');
  return row.id;
}

async function assertNameFree(db: Db, name: string | null, selfId: string | undefined): Promise<void> {
  if (name === null) return;
  let query = db.selectFrom('routes').select('id').where('name', '=', name);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw new UniqueViolationError({ name });
}

export interface RouteFilter {
  /** Only the routes of this service (by id). */
  serviceId?: string;
}

/** Routes: what requests the gateway accepts and which service gets them. */
export class RouteRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(request: PageRequest = {}, filter: RouteFilter = {}): Promise<Page<RouteEntity>> {
    const { size, after } = pageQuery(request);
    let query = this.#db.selectFrom('routes').selectAll().orderBy('created_at').orderBy('id').limit(size + 1);
    if (after) query = query.where(after);
    if (filter.serviceId) query = query.where('service_id', '=', filter.serviceId);
    return toPage(await query.execute(), size, routeFromRow);
  }

  async get(idOrName: string): Promise<RouteEntity | undefined> {
    const row = await findRouteRow(this.#db, idOrName);
    return row ? routeFromRow(row) : undefined;
  }

  async insert(input: unknown): Promise<RouteEntity> {
    const fields = parseOrThrow(input);
    return this.#db.transaction().execute(async (trx) => {
      const id = fields.id?.toLowerCase() ?? newId();
      if (fields.id && (await trx.selectFrom('routes').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      const serviceId = await resolveServiceRef(trx, fields.service);
      await assertNameFree(trx, fields.name, undefined);
      const now = nowSeconds();
      const row = toRow(id, fields, serviceId, now, now);
      await trx.insertInto('routes').values(row).execute().catch((error) => translateConstraintError(error, { name: fields.name }, 'route'));
      return routeFromRow(row);
    });
  }

  async update(idOrName: string, patch: unknown): Promise<RouteEntity | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findRouteRow(trx, idOrName);
      if (!existing) return undefined;
      const merged = mergePatch(toInput(routeFromRow(existing)), patch);
      const idIssues = keyMismatch(merged, 'id', existing.id);
      if (idIssues.length > 0) throw new SchemaViolationError(idIssues);
      const fields = parseOrThrow(merged);
      const serviceId = await resolveServiceRef(trx, fields.service);
      await assertNameFree(trx, fields.name, existing.id);
      const row = toRow(existing.id, fields, serviceId, existing.created_at, nowSeconds());
      await trx.updateTable('routes').set(row).where('id', '=', existing.id).execute()
        .catch((error) => translateConstraintError(error, { name: fields.name }, 'route'));
      return routeFromRow(row);
    });
  }

  async upsert(idOrName: string, input: unknown): Promise<{ entity: RouteEntity; created: boolean }> {
    const byId = isUuid(idOrName);
    const key = byId ? idOrName.toLowerCase() : idOrName;
    const issues = keyMismatch(input, byId ? 'id' : 'name', key);
    if (issues.length > 0) throw new SchemaViolationError(issues);
    const fields = parseOrThrow(byId ? { ...(input as object), id: key } : { ...(input as object), name: key });
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findRouteRow(trx, key);
      assertSameId(existing?.id, fields.id);
      const id = existing?.id ?? fields.id?.toLowerCase() ?? newId();
      if (!existing && fields.id && (await trx.selectFrom('routes').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      const serviceId = await resolveServiceRef(trx, fields.service);
      await assertNameFree(trx, fields.name, id);
      const now = nowSeconds();
      const row = toRow(id, fields, serviceId, existing?.created_at ?? now, now);
      const write = existing
        ? trx.updateTable('routes').set(row).where('id', '=', id).execute()
        : trx.insertInto('routes').values(row).execute();
      await write.catch((error) => translateConstraintError(error, { name: fields.name }, 'route'));
      return { entity: routeFromRow(row), created: !existing };
    });
  }

  /** Deletes the route and, as in Kong, the plugins scoped to it. */
  async delete(idOrName: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findRouteRow(trx, idOrName);
      if (!existing) return false;
      await trx.deleteFrom('plugins').where('route_id', '=', existing.id).execute();
      await trx.deleteFrom('routes').where('id', '=', existing.id).execute();
      return true;
    });
  }
}
