import type { Kysely, Selectable, Transaction } from 'kysely';
import type { ConsumerEntity } from '../../gateway/entities.js';
import { ForeignKeyViolationError, PrimaryKeyViolationError, SchemaViolationError, UniqueViolationError } from '../errors.js';
import type { ConsumersTable, Database } from '../schema.js';
import { isUuid, type EntityRef } from '../schemas/common.js';
import { parseConsumer, type ConsumerFields } from '../schemas/consumer.js';
import {
  assertSameId,
  fromJsonColumn,
  keyMismatch,
  mergePatch,
  newId,
  nowSeconds,
  pageQuery,
  toJsonColumn,
  toPage,
  translateConstraintError,
  type Page,
  type PageRequest,
} from './shared.js';

type Row = Selectable<ConsumersTable>;
type Db = Kysely<Database> | Transaction<Database>;

export function consumerFromRow(row: Row): ConsumerEntity {
  return {
    id: row.id,
    username: row.username,
    custom_id: row.custom_id,
    tags: fromJsonColumn<string[]>(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

function toRow(id: string, fields: ConsumerFields, createdAt: number, updatedAt: number): Row {
  return { id, username: fields.username, custom_id: fields.custom_id, tags: toJsonColumn(fields.tags), created_at: createdAt, updated_at: updatedAt };
}

function toInput(entity: ConsumerEntity): Record<string, unknown> {
  const { created_at: _c, updated_at: _u, ...fields } = entity;
  return fields;
}

function parseOrThrow(input: unknown): ConsumerFields {
  const result = parseConsumer(input);
  if (!result.data) throw new SchemaViolationError(result.issues);
  return result.data;
}

/** By id, or by username when the key is not a UUID (Kong's `{consumer id or username}`). */
export async function findConsumerRow(db: Db, idOrUsername: string): Promise<Row | undefined> {
  if (isUuid(idOrUsername)) {
    const row = await db.selectFrom('consumers').selectAll().where('id', '=', idOrUsername.toLowerCase()).executeTakeFirst();
    if (row) return row;
  }
  return db.selectFrom('consumers').selectAll().where('username', '=', idOrUsername).executeTakeFirst();
}

export async function resolveConsumerRef(db: Db, ref: EntityRef | null): Promise<string | null> {
  if (ref === null) return null;
  let query = db.selectFrom('consumers').select('id');
  if ('id' in ref) query = query.where('id', '=', ref.id.toLowerCase());
  else if ('username' in ref) query = query.where('username', '=', ref.username);
  else query = query.where('username', '=', ref.name);
  const row = await query.executeTakeFirst();
  if (!row) throw new ForeignKeyViolationError('consumer', ref, 'consumers');
  return row.id;
}

async function assertUniqueFree(db: Db, fields: ConsumerFields, selfId: string | undefined): Promise<void> {
  for (const column of ['username', 'custom_id'] as const) {
    const value = fields[column];
    if (value === null) continue;
    let query = db.selectFrom('consumers').select('id').where(column, '=', value);
    if (selfId) query = query.where('id', '<>', selfId);
    if (await query.executeTakeFirst()) throw new UniqueViolationError({ [column]: value });
  }
}

export interface ConsumerFilter {
  /** Kong's `GET /consumers?custom_id=` lookup. */
  customId?: string;
  username?: string;
}

/** Consumers: the identities plugins attach credentials and per-user configuration to. */
export class ConsumerRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async list(request: PageRequest = {}, filter: ConsumerFilter = {}): Promise<Page<ConsumerEntity>> {
    const { size, after } = pageQuery(request);
    let query = this.#db.selectFrom('consumers').selectAll().orderBy('created_at').orderBy('id').limit(size + 1);
    if (after) query = query.where(after);
    if (filter.customId !== undefined) query = query.where('custom_id', '=', filter.customId);
    if (filter.username !== undefined) query = query.where('username', '=', filter.username);
    return toPage(await query.execute(), size, consumerFromRow);
  }

  async get(idOrUsername: string): Promise<ConsumerEntity | undefined> {
    const row = await findConsumerRow(this.#db, idOrUsername);
    return row ? consumerFromRow(row) : undefined;
  }

  async insert(input: unknown): Promise<ConsumerEntity> {
    const fields = parseOrThrow(input);
    return this.#db.transaction().execute(async (trx) => {
      const id = fields.id?.toLowerCase() ?? newId();
      if (fields.id && (await trx.selectFrom('consumers').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      await assertUniqueFree(trx, fields, undefined);
      const now = nowSeconds();
      const row = toRow(id, fields, now, now);
      await trx.insertInto('consumers').values(row).execute()
        .catch((error) => translateConstraintError(error, { username: fields.username }, 'consumer'));
      return consumerFromRow(row);
    });
  }

  async update(idOrUsername: string, patch: unknown): Promise<ConsumerEntity | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findConsumerRow(trx, idOrUsername);
      if (!existing) return undefined;
      const merged = mergePatch(toInput(consumerFromRow(existing)), patch);
      const idIssues = keyMismatch(merged, 'id', existing.id);
      if (idIssues.length > 0) throw new SchemaViolationError(idIssues);
      const fields = parseOrThrow(merged);
      await assertUniqueFree(trx, fields, existing.id);
      const row = toRow(existing.id, fields, existing.created_at, nowSeconds());
      await trx.updateTable('consumers').set(row).where('id', '=', existing.id).execute()
        .catch((error) => translateConstraintError(error, { username: fields.username }, 'consumer'));
      return consumerFromRow(row);
    });
  }

  async upsert(idOrUsername: string, input: unknown): Promise<{ entity: ConsumerEntity; created: boolean }> {
    const byId = isUuid(idOrUsername);
    const key = byId ? idOrUsername.toLowerCase() : idOrUsername;
    const issues = keyMismatch(input, byId ? 'id' : 'username', key);
    if (issues.length > 0) throw new SchemaViolationError(issues);
    const fields = parseOrThrow(byId ? { ...(input as object), id: key } : { ...(input as object), username: key });
    return this.#db.transaction().execute(async (trx) => {
      const existing = byId
        ? await trx.selectFrom('consumers').selectAll().where('id', '=', key).executeTakeFirst()
        : await trx.selectFrom('consumers').selectAll().where('username', '=', key).executeTakeFirst();
      assertSameId(existing?.id, fields.id);
      const id = existing?.id ?? fields.id?.toLowerCase() ?? newId();
      if (!existing && fields.id && (await trx.selectFrom('consumers').select('id').where('id', '=', id).executeTakeFirst())) {
        throw new PrimaryKeyViolationError(id);
      }
      await assertUniqueFree(trx, fields, id);
      const now = nowSeconds();
      const row = toRow(id, fields, existing?.created_at ?? now, now);
      const write = existing
        ? trx.updateTable('consumers').set(row).where('id', '=', id).execute()
        : trx.insertInto('consumers').values(row).execute();
      await write.catch((error) => translateConstraintError(error, { username: fields.username }, 'consumer'));
      return { entity: consumerFromRow(row), created: !existing };
    });
  }

  /** Deletes the consumer and the plugins scoped to it, as in Kong. */
  async delete(idOrUsername: string): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findConsumerRow(trx, idOrUsername);
      if (!existing) return false;
      await trx.deleteFrom('plugins').where('consumer_id', '=', existing.id).execute();
      await trx.deleteFrom('consumers').where('id', '=', existing.id).execute();
      return true;
    });
  }
}
