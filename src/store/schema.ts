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
  /**
   * The organization that owns the entity (its Admin API users see and change it), or
   * null for the operator's own (written with the bootstrap token; migration 0003).
   */
  organization_id: string | null;
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
  /**
   * The organization that owns the entity (its Admin API users see and change it), or
   * null for the operator's own (written with the bootstrap token; migration 0003).
   */
  organization_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConsumersTable {
  id: string;
  username: string | null;
  custom_id: string | null;
  tags: string | null;
  /**
   * The organization that owns the entity (its Admin API users see and change it), or
   * null for the operator's own (written with the bootstrap token; migration 0003).
   */
  organization_id: string | null;
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
  /**
   * The organization that owns the entity (its Admin API users see and change it), or
   * null for the operator's own (written with the bootstrap token; migration 0003).
   */
  organization_id: string | null;
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

export interface OrganizationsTable {
  id: string;
  name: string;
  /** Lower-case. */
  login_path: string;
  owner_user_id: string | null;
  sso_enabled: number;
  sso_enabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface UsersTable {
  id: string;
  organization_id: string;
  email: string;
  email_lower: string;
  name: string | null;
  status: 'active' | 'deactivated';
  source: 'native' | 'sso';
  /** scrypt hash (native accounts only). */
  password_hash: string | null;
  /** For SSO accounts: who the user is, as the provider says (never matched by email). */
  issuer: string | null;
  subject: string | null;
  /** JSON list of Okta group names seen at the last sign-in or sync. */
  okta_groups: string | null;
  groups_source: string | null;
  last_sign_in_at: number | null;
  deactivated_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface RolesTable {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  builtin: number;
  created_at: number;
  updated_at: number;
}

export interface RoleMappingsTable {
  id: string;
  organization_id: string;
  group_name: string;
  role_id: string;
  created_at: number;
}

export interface UserRolesTable {
  user_id: string;
  role_id: string;
  /** JSON `[{rule_id, group}]` when Okta groups granted the role; null when given by hand. */
  granted_by: string | null;
  granted_at: number;
}

export interface IdentitySettingsTable {
  organization_id: string;
  provider: 'okta' | 'oidc';
  okta_domain: string | null;
  authorization_server_id: string | null;
  issuer: string;
  client_id: string;
  /** Encrypted with the key ring. */
  client_secret: string;
  /** Encrypted with the key ring. */
  api_token: string | null;
  /** JSON list. */
  scopes: string;
  groups_claim: string;
  login_claim: string;
  single_logout: number;
  sync_interval_seconds: number;
  tested_fingerprint: string;
  tested_at: number;
  updated_at: number;
}

export interface IdentityTestsTable {
  id: string;
  organization_id: string;
  /** Keyed hash of exactly the tested values (secrets included), never the values. */
  fingerprint: string;
  passed: number;
  /** JSON list of checks with their results. */
  checks: string;
  created_at: number;
}

export interface AccessTokensTable {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  /** The last characters, to tell tokens apart in lists. */
  token_hint: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface AuditLogTable {
  id: string;
  organization_id: string | null;
  actor_type: 'user' | 'token' | 'bootstrap' | 'system';
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  /** JSON object; never secrets. */
  details: string | null;
  created_at: number;
}

/** Leases between processes (src/sessions/database-backend.ts); `expires_at` in epoch milliseconds. */
export interface SessionLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/**
 * Failed password sign-ins per account or client address (src/sign-in/throttle.ts).
 * `key` is a keyed hash; `since` (epoch milliseconds) is when the window opened.
 */
export interface SignInFailuresTable {
  key: string;
  count: number;
  since: number;
}

/**
 * The last good discovery document and JWKS per OpenID provider (src/oidc/provider-cache.ts),
 * keyed by the issuer or discovery URL a configuration names; JSON text, epoch milliseconds.
 */
export interface OidcProvidersTable {
  key: string;
  discovery: string;
  discovered_at: number;
  jwks: string | null;
  jwks_fetched_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  /** Encrypted private JWK. */
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
}

export interface Database {
  services: ServicesTable;
  routes: RoutesTable;
  consumers: ConsumersTable;
  plugins: PluginsTable;
  sessions: SessionsTable;
  session_leases: SessionLeasesTable;
  sign_in_failures: SignInFailuresTable;
  oidc_providers: OidcProvidersTable;
  organizations: OrganizationsTable;
  users: UsersTable;
  roles: RolesTable;
  role_mappings: RoleMappingsTable;
  user_roles: UserRolesTable;
  identity_settings: IdentitySettingsTable;
  identity_tests: IdentityTestsTable;
  access_tokens: AccessTokensTable;
  audit_log: AuditLogTable;
  signing_keys: SigningKeysTable;
}
