import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/**
 * The last good discovery document and key set of one OpenID provider, under the issuer
 * or discovery URL a configuration names. Times are epoch milliseconds.
 */
export interface OidcProviderRecord {
  key: string;
  discovery: Record<string, unknown>;
  discovered_at: number;
  jwks: { keys: unknown[] } | null;
  jwks_fetched_at: number | null;
}

/**
 * `oidc_providers`: read when a process first needs a provider, written after each
 * successful discovery or key download, so a restart during a provider outage still
 * has what it needs. Never read on the proxied request path.
 */
export class OidcProviderRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async find(key: string): Promise<OidcProviderRecord | undefined> {
    const row = await this.#db.selectFrom('oidc_providers').selectAll().where('key', '=', key).executeTakeFirst();
    if (!row) return undefined;
    return {
      key: row.key,
      discovery: JSON.parse(row.discovery) as Record<string, unknown>,
      discovered_at: Number(row.discovered_at),
      jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as { keys: unknown[] }),
      jwks_fetched_at: row.jwks_fetched_at === null ? null : Number(row.jwks_fetched_at),
    };
  }

  /** Writes the whole record: each process writes what it holds, complete, so the last write is consistent. */
  async save(record: OidcProviderRecord): Promise<void> {
    const values = {
      discovery: JSON.stringify(record.discovery),
      discovered_at: record.discovered_at,
      jwks: record.jwks === null ? null : JSON.stringify(record.jwks),
      jwks_fetched_at: record.jwks_fetched_at,
    };
    await this.#db
      .insertInto('oidc_providers')
      .values({ key: record.key, ...values })
      .onConflict((conflict) => conflict.column('key').doUpdateSet(values))
      .execute();
  }
}
