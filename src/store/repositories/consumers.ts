import type { Kysely, Selectable } from 'kysely';
import type { ConsumerEntity } from '../../model/gateway.js';
import type { ConsumersTable, Database } from '../schema.js';
import { parseConsumer, type ConsumerFields } from '../schemas/consumer.js';
import { NamedEntityRepository } from './named-entity.js';
import { assertUnique, fromJsonColumn, toJsonColumn, OPERATOR, ownerField, type Owner, type Page, type PageRequest } from './shared.js';

type Row = Selectable<ConsumersTable>;

export function consumerFromRow(row: Row): ConsumerEntity {
  return {
    id: row.id,
    username: row.username,
    custom_id: row.custom_id,
    tags: fromJsonColumn<string[]>(row.tags),
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...ownerField(row),
  };
}

function toRow(id: string, fields: ConsumerFields, createdAt: number, updatedAt: number): Omit<Row, 'organization_id'> {
  return { id, username: fields.username, custom_id: fields.custom_id, tags: toJsonColumn(fields.tags), created_at: createdAt, updated_at: updatedAt };
}

export interface ConsumerFilter {
  /** Kong's `GET /consumers?custom_id=` lookup. */
  customId?: string;
  username?: string;
}

/** Consumers: the identities plugins attach credentials and per-user configuration to. */
export class ConsumerRepository extends NamedEntityRepository<'consumers', 'username', ConsumerFields, ConsumerEntity> {
  constructor(db: Kysely<Database>, owner: Owner = OPERATOR) {
    super(db, {
      table: 'consumers',
      // Kong's `{consumer id or username}`; a username may look like a UUID.
      nameColumn: 'username',
      uuidMayBeName: true,
      pluginColumn: 'consumer_id',
      parse: parseConsumer,
      fromRow: consumerFromRow,
      prepareRow: async (trx, id, fields, selfId, createdAt, updatedAt, owner) => {
        await assertUnique(trx, 'consumers', 'username', fields.username, selfId);
        await assertUnique(trx, 'consumers', 'custom_id', fields.custom_id, selfId);
        return toRow(id, fields, createdAt, updatedAt);
      },
    }, owner);
  }

  /** The same repository, seeing and writing only what `owner` may (see `Owner`). */
  ownedBy(owner: Owner): ConsumerRepository {
    return new ConsumerRepository(this.database, owner);
  }

  async list(request: PageRequest = {}, filter: ConsumerFilter = {}): Promise<Page<ConsumerEntity>> {
    return this.page(request, { custom_id: filter.customId, username: filter.username });
  }
}
