import type { Kysely, Selectable, Transaction } from 'kysely';
import type { KeyRing } from '../../crypto/keyring.js';
import type { PluginEntity } from '../../model/gateway.js';
import type { PluginConfigRegistry } from '../../model/plugin.js';
import { SchemaViolationError, UniqueViolationError } from '../errors.js';
import { decryptSecrets, encryptSecrets, redactSecrets } from '../plugin-secrets.js';
import type { Database, PluginsTable } from '../schema.js';
import { isPlainObject, isUuid } from '../schemas/common.js';
import { parsePlugin, type PluginFields } from '../schemas/plugin.js';
import { findOrganization } from './identity/organizations.js';
import {
  assertIdFree,
  findRowById,
  fromBool,
  fromJsonColumn,
  keyMismatch,
  listRows,
  mergePatch,
  newId,
  nowSeconds,
  OPERATOR,
  ownerColumn,
  ownerField,
  parseOrThrow,
  resolveRef,
  saveRow,
  toBool,
  toInput,
  toJsonColumn,
  visibleTo,
  withoutOwnerField,
  type Db,
  type Owner,
  type Page,
  type PageRequest,
} from './shared.js';

type Row = Selectable<PluginsTable>;

/** The entity with `config` exactly as stored (secrets still encrypted). */
function storedPluginFromRow(row: Row): PluginEntity {
  return {
    id: row.id,
    name: row.name,
    config: JSON.parse(row.config) as Record<string, unknown>,
    enabled: toBool(row.enabled),
    route: row.route_id === null ? null : { id: row.route_id },
    service: row.service_id === null ? null : { id: row.service_id },
    consumer: row.consumer_id === null ? null : { id: row.consumer_id },
    protocols: JSON.parse(row.protocols) as PluginEntity['protocols'],
    tags: fromJsonColumn<string[]>(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...ownerField(row),
  };
}

/**
 * Deep merge for PATCH of `config`: nested objects merge, lists and scalars replace,
 * so `config.client_id=x` changes one field and keeps the rest (Kong's behaviour).
 */
function deepMerge(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(current) ? deepMerge(current, value) : value;
  }
  return merged;
}

function scopeKey(route: string | null, service: string | null, consumer: string | null, name: string) {
  return {
    key: `plugins:${name}:${route ?? ''}:${service ?? ''}:${consumer ?? ''}`,
    // Kong's message names the whole scope: UNIQUE violation detected on '{consumer=null,name="acl",route={id="..."},service=null}'.
    fields: {
      consumer: consumer === null ? null : { id: consumer },
      name,
      route: route === null ? null : { id: route },
      service: service === null ? null : { id: service },
    },
  };
}

export interface PluginScope {
  routeId?: string;
  serviceId?: string;
  consumerId?: string;
}

/**
 * Plugins: configuration validated by each plugin's own schema, secret fields
 * encrypted with the key ring before they reach the database. Everything this
 * class returns has `[redacted]` in place of secrets; only `listDecrypted`, for the
 * data plane, returns them in clear.
 */
export class PluginRepository {
  readonly #db: Kysely<Database>;
  readonly #keyRing: KeyRing;
  readonly #registry: PluginConfigRegistry;
  /** Whose plugins this repository sees and writes (see `Owner`). */
  readonly #owner: Owner;

  constructor(db: Kysely<Database>, keyRing: KeyRing, registry: PluginConfigRegistry, owner: Owner = OPERATOR) {
    this.#db = db;
    this.#keyRing = keyRing;
    this.#registry = registry;
    this.#owner = owner;
  }

  /** The same repository, seeing and writing only what `owner` may (see `Owner`). */
  ownedBy(owner: Owner): PluginRepository {
    return new PluginRepository(this.#db, this.#keyRing, this.#registry, owner);
  }

  #secretFields(name: string): readonly string[] {
    return this.#registry.get(name)?.secretFields ?? [];
  }

  #redacted(row: Row): PluginEntity {
    const entity = storedPluginFromRow(row);
    return { ...entity, config: redactSecrets(entity.config, this.#secretFields(entity.name)) };
  }

  async #decrypted(row: Row): Promise<PluginEntity> {
    const entity = storedPluginFromRow(row);
    const definition = this.#registry.get(entity.name);
    // A plugin no longer installed keeps its stored form: nothing can run it anyway.
    if (!definition) return entity;
    return { ...entity, config: await decryptSecrets(entity.config, definition.secretFields, this.#keyRing) };
  }

  async list(request: PageRequest = {}, scope: PluginScope = {}): Promise<Page<PluginEntity>> {
    return listRows(this.#db, 'plugins', request, (row) => this.#redacted(row), {
      route_id: scope.routeId || undefined,
      service_id: scope.serviceId || undefined,
      consumer_id: scope.consumerId || undefined,
      organization_id: this.#owner.kind === 'organization' ? this.#owner.organizationId : undefined,
    });
  }

  /** Every plugin with secrets decrypted, for building the data plane's snapshot. */
  async listDecrypted(db: Db = this.#db): Promise<PluginEntity[]> {
    const rows = await db.selectFrom('plugins').selectAll().orderBy('created_at').orderBy('id').execute();
    return Promise.all(rows.map((row) => this.#decrypted(row)));
  }

  /** Names of the plugins configured at least once (Kong's `enabled_in_cluster`). */
  async configuredNames(): Promise<string[]> {
    let query = this.#db.selectFrom('plugins').select('name').distinct().orderBy('name');
    if (this.#owner.kind === 'organization') query = query.where('organization_id', '=', this.#owner.organizationId);
    const rows = await query.execute();
    return rows.map((row) => row.name);
  }

  async get(id: string): Promise<PluginEntity | undefined> {
    if (!isUuid(id)) return undefined;
    const row = await findRowById(this.#db, 'plugins', id);
    return row && visibleTo(row, this.#owner) ? this.#redacted(row) : undefined;
  }

  async insert(input: unknown): Promise<PluginEntity> {
    const fields = this.#parse(withoutOwnerField(input), undefined);
    return this.#db.transaction().execute(async (trx) => {
      const id = fields.id?.toLowerCase() ?? newId();
      if (fields.id) await assertIdFree(trx, 'plugins', id);
      const now = nowSeconds();
      const row = await this.#toRow(trx, id, fields, now, now, ownerColumn(this.#owner));
      await saveRow(trx, 'plugins', row, 'insert', { name: fields.name });
      return this.#redacted(row);
    });
  }

  /** PATCH: merges onto the stored plugin (config merged field by field); undefined when missing. */
  async update(id: string, patch: unknown): Promise<PluginEntity | undefined> {
    if (!isUuid(id)) return undefined;
    patch = withoutOwnerField(patch);
    return this.#db.transaction().execute(async (trx) => {
      const existing = await findRowById(trx, 'plugins', id);
      if (!existing || !visibleTo(existing, this.#owner)) return undefined;
      const current = await this.#decrypted(existing);
      const merged = mergePatch(toInput(current), patch);
      if (isPlainObject(patch) && isPlainObject(patch.config) && (patch.name === undefined || patch.name === current.name)) {
        merged.config = deepMerge(current.config, patch.config);
      }
      const idIssues = keyMismatch(merged, 'id', existing.id);
      if (idIssues.length > 0) throw new SchemaViolationError(idIssues);
      const fields = this.#parse(merged, current);
      const row = await this.#toRow(trx, existing.id, fields, existing.created_at, nowSeconds(), existing.organization_id);
      await saveRow(trx, 'plugins', row, 'update', { name: fields.name });
      return this.#redacted(row);
    });
  }

  /** PUT: creates or replaces the plugin with this id. */
  async upsert(id: string, input: unknown): Promise<{ entity: PluginEntity; created: boolean }> {
    if (!isUuid(id)) {
      throw new SchemaViolationError([{ path: ['id'], message: 'expected a valid UUID in the URL (plugins are addressed by id)' }]);
    }
    const key = id.toLowerCase();
    input = withoutOwnerField(input);
    const issues = keyMismatch(input, 'id', key);
    if (issues.length > 0) throw new SchemaViolationError(issues);
    return this.#db.transaction().execute(async (trx) => {
      const found = await findRowById(trx, 'plugins', key);
      // Another organization's plugin is missing here; creating one with its id is refused as POST would.
      const existing = visibleTo(found, this.#owner) ? found : undefined;
      if (found && !existing) await assertIdFree(trx, 'plugins', key);
      const current = existing ? await this.#decrypted(existing) : undefined;
      const fields = this.#parse(isPlainObject(input) ? { ...input, id: key } : input, current);
      const now = nowSeconds();
      const row = await this.#toRow(trx, key, fields, existing?.created_at ?? now, now, existing ? existing.organization_id : ownerColumn(this.#owner));
      await saveRow(trx, 'plugins', row, existing ? 'update' : 'insert', { name: fields.name });
      return { entity: this.#redacted(row), created: !existing };
    });
  }

  async delete(id: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    let query = this.#db.deleteFrom('plugins').where('id', '=', id.toLowerCase());
    if (this.#owner.kind === 'organization') query = query.where('organization_id', '=', this.#owner.organizationId);
    const result = await query.executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  #parse(input: unknown, current: PluginEntity | undefined): PluginFields {
    // Stored secrets stand in for `[redacted]` only for the same plugin type.
    const storedConfig = current && isPlainObject(input) && input.name === current.name ? current.config : undefined;
    return parseOrThrow((value) => parsePlugin(value, this.#registry, storedConfig), input);
  }

  /**
   * What an organization may configure: plugins on its own routes and services only
   * (references resolve only to its entities), never global ones, which would run on
   * every organization's traffic (a consumer-only plugin too: it follows the consumer
   * onto any route); and an `sso` plugin signs in with its own organization only.
   */
  async #checkOrganizationPlugin(trx: Transaction<Database>, fields: PluginFields, organizationId: string): Promise<void> {
    if (fields.route === null && fields.service === null) {
      throw new SchemaViolationError([
        {
          path: ['route'],
          message:
            "an organization's plugin applies to one of its routes or services: name a route or a service (a global plugin would run on every organization's traffic; only the operator's bootstrap token configures those)",
        },
      ]);
    }
    if (fields.name !== 'sso') return;
    const reference = fields.config.organization;
    const named = typeof reference === 'string' ? (await findOrganization(trx, reference))?.id : undefined;
    if (named !== organizationId) {
      throw new SchemaViolationError([
        { path: ['config', 'organization'], message: 'must name your own organization (its id, name or login path): a route signs in with the organization that owns it' },
      ]);
    }
  }

  async #toRow(trx: Transaction<Database>, id: string, fields: PluginFields, createdAt: number, updatedAt: number, organizationId: string | null): Promise<Row> {
    const routeId = await resolveRef(trx, 'route', fields.route, this.#owner);
    const serviceId = await resolveRef(trx, 'service', fields.service, this.#owner);
    const consumerId = await resolveRef(trx, 'consumer', fields.consumer, this.#owner);
    if (this.#owner.kind === 'organization') await this.#checkOrganizationPlugin(trx, fields, this.#owner.organizationId);
    else if (fields.name === 'sso') await checkSsoOrganizationExists(trx, fields);
    const scope = scopeKey(routeId, serviceId, consumerId, fields.name);
    const taken = await trx.selectFrom('plugins').select('id').where('cache_key', '=', scope.key).where('id', '<>', id).executeTakeFirst();
    if (taken) throw new UniqueViolationError(scope.fields);
    const config = await encryptSecrets(fields.config, fields.definition.secretFields, this.#keyRing);
    return {
      id,
      name: fields.name,
      config: JSON.stringify(config),
      enabled: fromBool(fields.enabled),
      route_id: routeId,
      service_id: serviceId,
      consumer_id: consumerId,
      protocols: JSON.stringify(fields.protocols),
      tags: toJsonColumn(fields.tags),
      cache_key: scope.key,
      organization_id: organizationId,
      created_at: createdAt,
      updated_at: updatedAt,
    };
  }
}

/**
 * An `sso` plugin of the operator must name an organization that exists (by id, login
 * path or name, as the gateway resolves it): one that names none would answer every
 * request with an error.
 */
async function checkSsoOrganizationExists(db: Db, fields: PluginFields): Promise<void> {
  const reference = fields.config.organization;
  if (typeof reference === 'string' && (await findOrganization(db, reference))) return;
  throw new SchemaViolationError([
    { path: ['config', 'organization'], message: 'names no organization: give an existing organization’s id, login path or name' },
  ]);
}
