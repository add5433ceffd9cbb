import type { Kysely, Selectable } from 'kysely';
import type { ServiceEntity } from '../../model/gateway.js';
import { ReferencedByOthersError, SchemaViolationError } from '../errors.js';
import type { Database, ServicesTable } from '../schema.js';
import { parseService, type ServiceFields } from '../schemas/service.js';
import { NamedEntityRepository } from './named-entity.js';
import { assertUnique, fromBool, fromJsonColumn, toBool, toJsonColumn, OPERATOR, ownerField, type Owner, type Page, type PageRequest } from './shared.js';

type Row = Selectable<ServicesTable>;

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
    ...ownerField(row),
  };
}

function toRow(id: string, fields: ServiceFields, createdAt: number, updatedAt: number): Omit<Row, 'organization_id'> {
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

/** Where one of Gatehouse's own listeners listens (`0.0.0.0` / `::`: every address). */
export interface Endpoint {
  host: string;
  port: number;
}

const LOOPBACK = /^(?:127(?:\.\d{1,3}){3}|::1|0\.0\.0\.0|::|localhost|localhost\.)$/i;
const LINK_LOCAL = /^(?:169\.254\.\d{1,3}\.\d{1,3}|fe80:.*)$/i;

/**
 * What an organization's service may not point at: Gatehouse's own listeners (the Admin
 * API and console listen on loopback so that only this machine reaches them; a service
 * aimed there would put them on the public proxy), and link-local addresses (cloud
 * metadata at 169.254.169.254 hands out the machine's credentials). The operator's
 * services may point anywhere. A host name that resolves to such an address is not
 * caught here: name resolution can change after any check.
 */
function assertOrganizationTarget(fields: ServiceFields, ownListeners: readonly Endpoint[]): void {
  const host = fields.host.replace(/^\[|\]$/g, '').toLowerCase();
  const own = ownListeners.some((listener) => {
    if (listener.port !== fields.port) return false;
    const listening = listener.host.replace(/^\[|\]$/g, '').toLowerCase();
    return listening === host || ((LOOPBACK.test(listening) || listening === '') && LOOPBACK.test(host));
  });
  if (own || LINK_LOCAL.test(host)) {
    throw new SchemaViolationError([
      {
        path: ['host'],
        message: own
          ? "must not be one of Gatehouse's own listeners (its Admin API, console or proxy): point the service at your application"
          : 'must not be a link-local address (169.254.0.0/16, fe80::/10): cloud metadata services live there',
      },
    ]);
  }
}

/** Services: Kong's upstream definitions. Every write is one transaction. */
export class ServiceRepository extends NamedEntityRepository<'services', 'name', ServiceFields, ServiceEntity> {
  readonly #ownListeners: () => readonly Endpoint[];

  /** `ownListeners`: Gatehouse's own listeners (as bound), which an organization's service may not target. */
  constructor(db: Kysely<Database>, owner: Owner = OPERATOR, ownListeners: () => readonly Endpoint[] = () => []) {
    super(db, {
      table: 'services',
      nameColumn: 'name',
      uuidMayBeName: false,
      pluginColumn: 'service_id',
      parse: parseService,
      fromRow: serviceFromRow,
      prepareRow: async (trx, id, fields, selfId, createdAt, updatedAt, owner) => {
        await assertUnique(trx, 'services', 'name', fields.name, selfId);
        if (owner.kind === 'organization') assertOrganizationTarget(fields, ownListeners());
        return toRow(id, fields, createdAt, updatedAt);
      },
      beforeMerge: (current, patch) => {
        // The url shorthand replaces protocol, host, port and path as a whole.
        if (typeof patch === 'object' && patch !== null && 'url' in patch) {
          delete current.protocol;
          delete current.host;
          delete current.port;
          delete current.path;
        }
      },
      // Refused while routes use the service, as Kong does: dropping their service
      // silently would turn live routes into 503s.
      beforeDelete: async (trx, existing) => {
        const route = await trx.selectFrom('routes').select('id').where('service_id', '=', existing.id).executeTakeFirst();
        if (route) {
          throw new ReferencedByOthersError(
            'services',
            'routes',
            `delete those routes or attach them to another service first (GET /services/${existing.name ?? existing.id}/routes lists them)`,
          );
        }
      },
    }, owner);
    this.#ownListeners = ownListeners;
  }

  /** The same repository, seeing and writing only what `owner` may (see `Owner`). */
  ownedBy(owner: Owner): ServiceRepository {
    return new ServiceRepository(this.database, owner, this.#ownListeners);
  }

  async list(request: PageRequest = {}): Promise<Page<ServiceEntity>> {
    return this.page(request);
  }
}
