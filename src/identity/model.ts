/**
 * The organization-side model (issue 3) as the rest of Gatehouse sees it. The store
 * implements `IdentityStore` (src/store/repositories/identity/); the sign-in flows,
 * the Admin API and the background sync use only this interface.
 */

export const BUILTIN_ROLES = {
  organizationAdmin: 'Organization Admin',
  gatewayAdmin: 'Gateway Admin',
  viewer: 'Viewer',
} as const;

export interface Organization {
  id: string;
  name: string;
  login_path: string;
  owner_user_id: string | null;
  sso_enabled: boolean;
  sso_enabled_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface Role {
  id: string;
  organization_id: string;
  name: string;
  description: string | null;
  builtin: boolean;
}

export interface RoleAssignment {
  role_id: string;
  role_name: string;
  /** The rules that granted it (Okta groups), or null when an admin gave it by hand. */
  granted_by: Array<{ rule_id: string; group: string }> | null;
  granted_at: number;
}

export interface User {
  id: string;
  organization_id: string;
  email: string;
  name: string | null;
  status: 'active' | 'deactivated';
  source: 'native' | 'sso';
  issuer: string | null;
  subject: string | null;
  okta_groups: string[] | null;
  groups_source: string | null;
  last_sign_in_at: number | null;
  deactivated_at: number | null;
  roles: RoleAssignment[];
  created_at: number;
  updated_at: number;
}

export interface RoleMapping {
  id: string;
  organization_id: string;
  group: string;
  role_id: string;
  role_name: string;
  created_at: number;
}

/** Identity settings with secrets decrypted: for the sign-in flows and the sync only, never for API answers. */
export interface IdentitySettings {
  organization_id: string;
  provider: 'okta' | 'oidc';
  okta_domain: string | null;
  authorization_server_id: string | null;
  issuer: string;
  client_id: string;
  client_secret: string;
  api_token: string | null;
  scopes: string[];
  groups_claim: string;
  login_claim: string;
  single_logout: boolean;
  sync_interval_seconds: number;
  tested_at: number;
  updated_at: number;
}

export interface AuditEntry {
  organization_id: string | null;
  actor: { type: 'user' | 'token' | 'bootstrap' | 'system'; id?: string | null; label?: string | null };
  action: string;
  target?: { type: string; id: string } | null;
  outcome: 'success' | 'failure';
  reason?: string | null;
  /** Never secrets: the store does not filter them. */
  details?: Record<string, unknown> | null;
}

/** What a sign-in or a sync learned about an SSO user. */
export interface SsoProfile {
  issuer: string;
  subject: string;
  email: string;
  name: string | null;
  groups: string[];
  groups_source: string;
}

export interface IdentityStore {
  organizationByLoginPath(loginPath: string): Promise<Organization | undefined>;
  organization(idOrName: string): Promise<Organization | undefined>;
  identitySettings(organizationId: string): Promise<IdentitySettings | undefined>;
  roleMappings(organizationId: string): Promise<RoleMapping[]>;
  roles(organizationId: string): Promise<Role[]>;
  user(organizationId: string, userId: string): Promise<User | undefined>;
  userBySubject(organizationId: string, issuer: string, subject: string): Promise<User | undefined>;
  userByEmail(organizationId: string, email: string): Promise<User | undefined>;
  /** Active SSO users of organizations with SSO enabled and an API token (the background sync's work list). */
  activeSsoUsers(organizationId: string): Promise<User[]>;
  /**
   * Creates or updates an SSO user from a sign-in or sync: profile, groups seen, and
   * roles replaced by `grants` in one transaction. Creates only when `create` is true
   * (just-in-time provisioning); returns undefined when the user does not exist and
   * may not be created.
   */
  saveSsoUser(
    organizationId: string,
    profile: SsoProfile,
    grants: Array<{ role_id: string; granted_by: Array<{ rule_id: string; group: string }> }>,
    options: { create: boolean; signedIn: boolean },
  ): Promise<{ user: User; created: boolean; /** role names */ rolesAdded: string[]; /** role names */ rolesRemoved: string[] } | undefined>;
  deactivateUser(organizationId: string, userId: string, reason: string): Promise<User | undefined>;
  /** Records a successful password sign-in (SSO sign-ins record theirs in `saveSsoUser`). */
  recordSignIn(organizationId: string, userId: string): Promise<void>;
  /** A native user's password hash (scrypt), for password sign-in; undefined for SSO users. */
  passwordHash(organizationId: string, userId: string): Promise<string | undefined>;
  /** Organizations with SSO enabled (for the background group sync). */
  ssoOrganizations(): Promise<Organization[]>;
  /** Every organization (for the in-memory directory the data plane reads). */
  organizations(): Promise<Organization[]>;
  audit(entry: AuditEntry): Promise<void>;
}
