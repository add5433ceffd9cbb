import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ServiceEntity } from '../../gateway/entities.js';
import { ReferencedByOthersError, SchemaViolationError, UniqueViolationError, PrimaryKeyViolationError } from '../errors.js';
import type { Database, ServicesTable } from '../schema.js';
import { isUuid } from '../schemas/common.js';
import { parseService, type ServiceFields } from '../schemas/service.js';
import {
  fromBool,
  fromJsonColumn,
  keyMismatch,
  mergePatch,
  newId,
  assertSameId,
  nowSeconds,
  pageQuery,
  toBool,
  toJsonColumn,
  toPage,
  translateConstraintError,
  type Page,
  type PageRequest,
} from './shared.js';

type Row = Selectable<ServicesTable>;
type Db = Kysely<Database> | Transaction<Database>;

export function serviceFromRow(row: Row): ServiceEntity {
  return {
    id: row.id,
    name: row.name,
    protocol: row.protocol as ServiceEntity['protocol'],
    host: row.host,
    port: row.port,
    path: row.path,
    connect_timeout: row.connect_timeout,
    read_timeout: row.read_timeout,
    write_timeout: row.write_timeout,
    retries: row.retries,
    enabled: toBool(row.enabled),
    tags: fromJsonColumn<string[]>(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toRow(id: string, fields: ServiceFields, createdAt: number, updatedAt: number): Row {
  return {
    id,
    name: fields.name,
    protocol: fields.protocol,
    host: fields.host,
    port: fields.port,
    path: fields.path,
    connect_timeout: fields.connect_timeout,
    read_timeout: fields.read_timeout,
    write_timeout: fields.write_timeout,
    retries: fields.retries,
    enabled: fromBool(fields.enabled),
    tags: toJsonColumn(fields.tags),
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

/** The stored service as input fields, for PATCH to merge onto. */
function toInput(entity: ServiceEntity): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, ...fields } = entity;
  return fields;
}

function parseOrThrow(input: unknown): ServiceFields {
  const result = parseService(input);
  if (!result.data) throw new SchemaViolationError(result.issues);
  return result.data;
}

/** Finds a service by id, or by name when the key is not a UUID (Kong's `{service id or name}`). */
export async function findServiceRow(db: Db, idOrName: string): Promise<Row | undefined> {
  if (isUuid(idOrName)) {
    return db.selectFrom('services').selectAll().where('id', '=', idOrName.toLowerCase()).executeTakeFirst();
  }
  return db.selectFrom('services').selectAll().where('name', '=', idOrName).executeTakeFirst();
}

async function assertNameFree(db: Db, name: string | null, selfId: string | undefined): Promise<void> {
  if (name === null) return;
  let query = db.selectFrom('services').select('id').where('name', '=', name);
  if (selfId) query = query.where('id', '<>', selfId);
  if (await query.executeTakeFirst()) throw new UniqueViolationError({ name });
}

/** Services: Kong's upstream definitions. Every write is one transaction. */
export class ServiceRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(request: PageRequest = {}): Promise<Page<ServiceEntity>> {
    const { size, after } = pageQuery(request);
    let query = this.#db.selectFrom('services').selectAll().orderBy('created_at').orderBy('id').limit(size + 1);
    if (after) query = query.where(after);
    return toPage(await query.execute(), size, serviceFromRow);
  }

  async get(idOrName: string): Promise<ServiceEntity | undefined> {
    const row = await findServiceRow(this.#db, idOrName);
    return row ? serviceFromRow(row) : undefined;
  }

  async insert(input: unknown): Promise<ServiceEntity> {
    const fields = parseOrThrow(input);
    return this.#db.transaction().execute(async (trx) => {
      const id = fields.id?.toLowerCase() ?? newId();
      if (fields.id && (await trx.selectFrom('services').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      await assertNameFree(trx, fields.name, undefined);
      const now = nowSeconds();
      const row = toRow(id, fields, now, now);
      await trx.insertInto('services').values(row).execute().catch((error) => translateConstraintError(error, { name: fields.name }, 'service'));
      return serviceFromRow(row);
    });
  }

  /** PATCH: merges `patch` onto the stored service; undefined when there is none. */
  async update(idOrName: string, patch: unknown): Promise<ServiceEntity | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findServiceRow(trx, idOrName);
      if (!existing) return undefined;
      const current = toInput(serviceFromRow(existing));
      // The url shorthand replaces protocol, host, port and path as a whole.
      if (typeof patch === 'object' && patch !== null && 'url' in patch) {
        delete current.protocol;
        delete current.host;
        delete current.port;
        delete current.path;
      }
      const merged = mergePatch(current, patch);
      const idIssues = keyMismatch(merged, 'id', existing.id);
      if (idIssues.length > 0) throw new SchemaViolationError(idIssues);
      const fields = parseOrThrow(merged);
      await assertNameFree(trx, fields.name, existing.id);
      const row = toRow(existing.id, fields, existing.created_at, nowSeconds());
      await trx.updateTable('services').set(row).where('id', '=', existing.id).execute()
        .catch((error) => translateConstraintError(error, { name: fields.name }, 'service'));
      return serviceFromRow(row);
    });
  }

  /** PUT: creates or replaces the service named by `idOrName` (an id, or a name). */
  async upsert(idOrName: string, input: unknown): Promise<{ entity: ServiceEntity; created: boolean }> {
    const byId = isUuid(idOrName);
    const key = byId ? idOrName.toLowerCase() : idOrName;
    const issues = keyMismatch(input, byId ? 'id' : 'name', key);
    if (issues.length > 0) throw new SchemaViolationError(issues);
    const fields = parseOrThrow(byId ? { ...(input as object), id: key } : { ...(input as object), name: key });
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findServiceRow(trx, key);
      assertSameId(existing?.id, fields.id);
      const id = existing?.id ?? fields.id?.toLowerCase() ?? newId();
      if (!existing && fields.id && (await trx.selectFrom('services').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      await assertNameFree(trx, fields.name, id);
      const now = nowSeconds();
      const row = toRow(id, fields, existing?.created_at ?? now, now);
      const write = existing
        ? trx.updateTable('services').set(row).where('id', '=', id).execute()
        : trx.insertInto('services').values(row).execute();
      await write.catch((error) => translateConstraintError(error, { name: fields.name }, 'service'));
      return { entity: serviceFromRow(row), created: !existing };
    });
  }

  /**
   * Deletes the service and its plugins. Refused while routes use it, as Kong does:
   * dropping their service silently would turn live routes into 503s.
   */
  async delete(idOrName: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findServiceRow(trx, idOrName);
      if (!existing) return false;
      const route = await trx.selectFrom('routes').select('id').where('service_id', '=', existing.id).executeTakeFirst();
      if (route) {
        throw new ReferencedByOthersError(
          'services',
          'routes',
          `delete those routes or attach them to another service first (GET /services/${existing.name ?? existing.id}/routes lists them)`,
        );
      }
      await trx.deleteFrom('plugins').where('service_id', '=', existing.id).execute();
      await trx.deleteFrom('services').where('id', '=', existing.id).execute();
      return true;
    });
  }
}
