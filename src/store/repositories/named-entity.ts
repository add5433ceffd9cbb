import type { Kysely, Transaction } from 'kysely';
import { SchemaViolationError } from '../errors.js';
import type { Database } from '../schema.js';
import { isUuid } from '../schemas/common.js';
import {
  assertIdFree,
  assertSameId,
  deleteRowById,
  findRowByIdOrName,
  keyMismatch,
  listRows,
  mergePatch,
  newId,
  nowSeconds,
  OPERATOR,
  ownerColumn,
  visibleTo,
  withoutOwnerField,
  parseOrThrow,
  saveRow,
  toInput,
  type Db,
  type EntityRow,
  type Owner,
  type Page,
  type PageRequest,
  type ParseResult,
  type TextColumn,
} from './shared.js';

/** The entities addressed by id or by a name (plugins have ids only). */
export type NamedTable = 'services' | 'routes' | 'consumers';

/** What one kind of named entity brings to the common flows. */
export interface NamedEntitySpec<T extends NamedTable, N extends TextColumn<T>, Fields, Entity> {
  table: T;
  /** The column a key that is not a UUID names: `name`, or `username` for consumers. */
  nameColumn: N;
  /** Whether a UUID that is no entity's id may still be its name (consumers: a username may look like a UUID). */
  uuidMayBeName: boolean;
  /** The plugins column that scopes a plugin to this entity: those plugins are deleted with it, as in Kong. */
  pluginColumn: 'service_id' | 'route_id' | 'consumer_id';
  parse(input: unknown): ParseResult<Fields>;
  fromRow(row: EntityRow<T>): Entity;
  /**
   * Resolves the references of `fields` (only to entities `owner` sees), checks their
   * unique values against every entity but `selfId`, and builds the row to write; the
   * common flow sets its `organization_id`.
   */
  prepareRow(
    trx: Transaction<Database>,
    id: string,
    fields: Fields,
    selfId: string | undefined,
    createdAt: number,
    updatedAt: number,
    owner: Owner,
  ): Promise<Omit<EntityRow<T>, 'organization_id'>>;
  /** PATCH: adjusts the stored values before the patch is merged over them. */
  beforeMerge?(current: Record<string, unknown>, patch: unknown): void;
  /** DELETE: refuses while other entities depend on this one. */
  beforeDelete?(trx: Transaction<Database>, row: EntityRow<T>): Promise<void>;
}

/**
 * Kong's CRUD for services, routes and consumers: the same steps in the same order for
 * each, every write in one transaction; the entity's differences live in its spec.
 */
export abstract class NamedEntityRepository<
  T extends NamedTable,
  N extends TextColumn<T>,
  Fields extends { id?: string | undefined } & { [K in N]: string | null },
  Entity extends { created_at: number; updated_at: number },
> {
  readonly #db: Kysely<Database>;
  readonly #spec: NamedEntitySpec<T, N, Fields, Entity>;
  /** Whose entities this repository sees and writes (see `Owner`). */
  protected readonly owner: Owner;

  constructor(db: Kysely<Database>, spec: NamedEntitySpec<T, N, Fields, Entity>, owner: Owner = OPERATOR) {
    this.#db = db;
    this.#spec = spec;
    this.owner = owner;
  }

  protected get database(): Kysely<Database> {
    return this.#db;
  }

  /** One page in creation order, narrowed to the owner's rows whose columns have the given values. */
  protected page(request: PageRequest, equals: Partial<Record<TextColumn<T>, string | undefined>> = {}): Promise<Page<Entity>> {
    const owned = this.owner.kind === 'organization' ? { organization_id: this.owner.organizationId } : {};
    return listRows(this.#db, this.#spec.table, request, this.#spec.fromRow, { ...equals, ...owned } as typeof equals);
  }

  /** The row with this key, if the owner may see it: another organization's is missing. */
  async #find(db: Db, key: string): Promise<EntityRow<T> | undefined> {
    const row = await findRowByIdOrName(db, this.#spec.table, key, this.#spec.nameColumn, this.#spec.uuidMayBeName);
    return visibleTo(row, this.owner) ? row : undefined;
  }

  /** The full row: what `prepareRow` built, owned by `organizationId`. */
  async #prepare(trx: Transaction<Database>, id: string, fields: Fields, selfId: string | undefined, createdAt: number, updatedAt: number, organizationId: string | null) {
    const prepared = await this.#spec.prepareRow(trx, id, fields, selfId, createdAt, updatedAt, this.owner);
    return { ...prepared, organization_id: organizationId } as unknown as EntityRow<T>;
  }

  /** The values the database's own unique constraint is reported on. */
  #uniqueKey(fields: Fields): Record<string, unknown> {
    return { [this.#spec.nameColumn]: fields[this.#spec.nameColumn] };
  }

  /** By id, or by name when the key is not a UUID (Kong's `{id or name}`). */
  async get(key: string): Promise<Entity | undefined> {
    const row = await this.#find(this.#db, key);
    return row ? this.#spec.fromRow(row) : undefined;
  }

  async insert(input: unknown): Promise<Entity> {
    const { table, parse, fromRow } = this.#spec;
    const fields = parseOrThrow(parse, withoutOwnerField(input));
    return this.#db.transaction().execute(async (trx) => {
      const id = fields.id?.toLowerCase() ?? newId();
      if (fields.id) await assertIdFree(trx, table, id);
      const now = nowSeconds();
      const row = await this.#prepare(trx, id, fields, undefined, now, now, ownerColumn(this.owner));
      await saveRow(trx, table, row, 'insert', this.#uniqueKey(fields));
      return fromRow(row);
    });
  }

  /** PATCH: merges `patch` onto the stored entity; undefined when there is none. */
  async update(key: string, patch: unknown): Promise<Entity | undefined> {
    const { table, parse, fromRow, beforeMerge } = this.#spec;
    patch = withoutOwnerField(patch);
    return this.#db.transaction().execute(async (trx) => {
      const existing = await this.#find(trx, key);
      if (!existing) return undefined;
      const current = toInput(fromRow(existing));
      beforeMerge?.(current, patch);
      const merged = mergePatch(current, patch);
      const idIssues = keyMismatch(merged, 'id', existing.id);
      if (idIssues.length > 0) throw new SchemaViolationError(idIssues);
      const fields = parseOrThrow(parse, merged);
      // Ownership stays: the operator changing an organization's entity does not take it over.
      const row = await this.#prepare(trx, existing.id, fields, existing.id, existing.created_at, nowSeconds(), existing.organization_id);
      await saveRow(trx, table, row, 'update', this.#uniqueKey(fields));
      return fromRow(row);
    });
  }

  /** PUT: creates or replaces the entity named by `key` (an id, or a name). */
  async upsert(key: string, input: unknown): Promise<{ entity: Entity; created: boolean }> {
    const { table, nameColumn, parse, fromRow } = this.#spec;
    input = withoutOwnerField(input);
    const byId = isUuid(key);
    const urlKey = byId ? key.toLowerCase() : key;
    const keyField = byId ? 'id' : nameColumn;
    const issues = keyMismatch(input, keyField, urlKey);
    if (issues.length > 0) throw new SchemaViolationError(issues);
    const fields = parseOrThrow(parse, { ...(input as object), [keyField]: urlKey });
    return this.#db.transaction().execute(async (trx) => {
      // The URL names exactly one key: a UUID is an id here, never a name. Another
      // organization's entity is missing here: creating runs into its id or name, as POST would.
      const found = await findRowByIdOrName(trx, table, urlKey, nameColumn);
      const existing = visibleTo(found, this.owner) ? found : undefined;
      assertSameId(existing?.id, fields.id);
      const id = existing?.id ?? fields.id?.toLowerCase() ?? newId();
      if (!existing && fields.id) await assertIdFree(trx, table, id);
      const now = nowSeconds();
      const row = await this.#prepare(trx, id, fields, id, existing?.created_at ?? now, now, existing ? existing.organization_id : ownerColumn(this.owner));
      await saveRow(trx, table, row, existing ? 'update' : 'insert', this.#uniqueKey(fields));
      return { entity: fromRow(row), created: !existing };
    });
  }

  /** Deletes the entity and the plugins scoped to it; false when there is none. */
  async delete(key: string): Promise<boolean> {
    const { table, pluginColumn, beforeDelete } = this.#spec;
    return this.#db.transaction().execute(async (trx) => {
      const existing = await this.#find(trx, key);
      if (!existing) return false;
      await beforeDelete?.(trx, existing);
      await trx.deleteFrom('plugins').where(pluginColumn, '=', existing.id).execute();
      await deleteRowById(trx, table, existing.id);
      return true;
    });
  }
}
