/**
 * The Kong-compatible entities, as the store keeps them, the data plane runs them and
 * the Admin API returns them. Timestamps are epoch seconds and ids UUIDs, as in Kong.
 * Data only: `model/` imports nothing, so every layer, the store included, may use it.
 */

export interface ForeignKey {
  id: string;
}

/**
 * Gatehouse's addition to Kong's shape: the organization that owns the entity. Present
 * only on entities an organization owns; the operator's (bootstrap token) have none, so
 * their shape is exactly Kong's. Kong clients ignore unknown fields; the Admin API
 * ignores this one in request bodies (ownership never changes through a write).
 */
export interface Owned {
  organization?: ForeignKey;
}

export interface ServiceEntity extends Owned {
  id: string;
  name: string | null;
  protocol: 'http' | 'https';
  host: string;
  port: number;
  path: string | null;
  /** Milliseconds, as in Kong. */
  connect_timeout: number;
  read_timeout: number;
  write_timeout: number;
  retries: number;
  enabled: boolean;
  tags: string[] | null;
  created_at: number;
  updated_at: number;
}

export interface RouteEntity extends Owned {
  id: string;
  name: string | null;
  protocols: Array<'http' | 'https'>;
  methods: string[] | null;
  hosts: string[] | null;
  paths: string[] | null;
  strip_path: boolean;
  preserve_host: boolean;
  regex_priority: number;
  service: ForeignKey | null;
  tags: string[] | null;
  created_at: number;
  updated_at: number;
}

export interface PluginEntity extends Owned {
  id: string;
  name: string;
  /** The validated configuration with defaults filled in; secret fields decrypted only in memory. */
  config: Record<string, unknown>;
  enabled: boolean;
  route: ForeignKey | null;
  service: ForeignKey | null;
  consumer: ForeignKey | null;
  protocols: Array<'http' | 'https'>;
  tags: string[] | null;
  created_at: number;
  updated_at: number;
}

export interface ConsumerEntity extends Owned {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string[] | null;
  created_at: number;
  updated_at: number;
}

/** Everything the data plane needs, read from the store in one go. */
export interface GatewayConfiguration {
  services: ServiceEntity[];
  routes: RouteEntity[];
  plugins: PluginEntity[];
  consumers: ConsumerEntity[];
}
