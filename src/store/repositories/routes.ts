import type { Kysely, Selectable } from 'kysely';
import type { RouteEntity } from '../../model/gateway.js';
import type { Database, RoutesTable } from '../schema.js';
import { parseRoute, type RouteFields } from '../schemas/route.js';
import { RouteCollisionError } from '../errors.js';
import { routesMayOverlap } from '../route-overlap.js';
import { NamedEntityRepository } from './named-entity.js';
import { assertUnique, fromBool, fromJsonColumn, resolveRef, toBool, toJsonColumn, OPERATOR, ownerField, type Db, type Owner, type Page, type PageRequest } from './shared.js';

type Row = Selectable<RoutesTable>;

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
    ...ownerField(row),
  };
}

function toRow(id: string, fields: RouteFields, serviceId: string | null, createdAt: number, updatedAt: number): Omit<Row, 'organization_id'> {
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

/**
 * An organization's route may not take requests another owner's route takes (the
 * operator's, or another organization's): refused whatever order they were written in.
 * The operator is trusted to arrange its own routes around organizations'.
 */
async function assertNoCollision(db: Db, fields: RouteFields, organizationId: string, selfId: string): Promise<void> {
  const others = await db
    .selectFrom('routes')
    .select(['methods', 'hosts', 'paths'])
    .where('id', '<>', selfId)
    .where((eb) => eb.or([eb('organization_id', 'is', null), eb('organization_id', '<>', organizationId)]))
    .execute();
  const mine = { methods: fields.methods, hosts: fields.hosts, paths: fields.paths };
  for (const other of others) {
    const theirs = { methods: fromJsonColumn<string[]>(other.methods), hosts: fromJsonColumn<string[]>(other.hosts), paths: fromJsonColumn<string[]>(other.paths) };
    if (routesMayOverlap(mine, theirs)) throw new RouteCollisionError();
  }
}

export interface RouteFilter {
  /** Only the routes of this service (by id). */
  serviceId?: string;
}

/** Routes: what requests the gateway accepts and which service gets them. */
export class RouteRepository extends NamedEntityRepository<'routes', 'name', RouteFields, RouteEntity> {
  constructor(db: Kysely<Database>, owner: Owner = OPERATOR) {
    super(db, {
      table: 'routes',
      nameColumn: 'name',
      uuidMayBeName: false,
      pluginColumn: 'route_id',
      parse: parseRoute,
      fromRow: routeFromRow,
      prepareRow: async (trx, id, fields, selfId, createdAt, updatedAt, owner) => {
        const serviceId = await resolveRef(trx, 'service', fields.service, owner);
        await assertUnique(trx, 'routes', 'name', fields.name, selfId);
        if (owner.kind === 'organization') await assertNoCollision(trx, fields, owner.organizationId, id);
        return toRow(id, fields, serviceId, createdAt, updatedAt);
      },
    }, owner);
  }

  /** The same repository, seeing and writing only what `owner` may (see `Owner`). */
  ownedBy(owner: Owner): RouteRepository {
    return new RouteRepository(this.database, owner);
  }

  async list(request: PageRequest = {}, filter: RouteFilter = {}): Promise<Page<RouteEntity>> {
    return this.page(request, filter.serviceId ? { service_id: filter.serviceId } : {});
  }
}
