/**
 * The Kong-compatible entities, as the store keeps them and the Admin API returns them.
 * Timestamps are epoch seconds and ids UUIDs, as in Kong.
 */

export interface ForeignKey {
  id: string;
}

export interface ServiceEntity {
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

export interface RouteEntity {
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

export interface PluginEntity {
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

export interface ConsumerEntity {
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
