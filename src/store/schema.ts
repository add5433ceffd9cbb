/**
 * The tables as Kysely sees them. Columns hold portable types only (TEXT, INTEGER,
 * BIGINT) so the same queries run on SQLite today and PostgreSQL later: JSON values
 * are TEXT, booleans are 0/1 integers, timestamps are epoch seconds.
 */

export interface ServicesTable {
  id: string;
  name: string | null;
  protocol: string;
  host: string;
  port: number;
  path: string | null;
  connect_timeout: number;
  read_timeout: number;
  write_timeout: number;
  retries: number;
  /** 0 or 1. */
  enabled: number;
  /** JSON array of strings, or null. */
  tags: string | null;
  created_at: number;
  updated_at: number;
}

export interface RoutesTable {
  id: string;
  name: string | null;
  /** Routes may exist without a service, as in Kong; the service cannot be deleted while referenced. */
  service_id: string | null;
  /** JSON arrays. */
  protocols: string;
  methods: string | null;
  hosts: string | null;
  paths: string | null;
  strip_path: number;
  preserve_host: number;
  regex_priority: number;
  tags: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConsumersTable {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string | null;
  created_at: number;
  updated_at: number;
}

export interface PluginsTable {
  id: string;
  name: string;
  /** JSON object; secret fields hold key-ring ciphertext, never clear text. */
  config: string;
  enabled: number;
  route_id: string | null;
  service_id: string | null;
  consumer_id: string | null;
  protocols: string;
  tags: string | null;
  /**
   * `name:route:service:consumer`, unique. One column instead of a four-column unique
   * index because SQL treats NULLs as distinct, so a global `acl` twice would slip
   * through a composite index (Kong keeps the same `cache_key` column for this).
   */
  cache_key: string;
  created_at: number;
  updated_at: number;
}

/** Used by the session store (src/sessions); created here so one migration run sets up everything. */
export interface SessionsTable {
  id: string;
  subject: string | null;
  /** Encrypted session record. */
  data: string;
  /** Epoch seconds. */
  expires_at: number;
}

export interface Database {
  services: ServicesTable;
  routes: RoutesTable;
  consumers: ConsumersTable;
  plugins: PluginsTable;
  sessions: SessionsTable;
}
