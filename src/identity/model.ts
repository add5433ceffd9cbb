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
  /**
   * The roles and `okta_groups` as they were at deactivation: while the user is
   * deactivated they are kept for the record, give no permission and change no more;
   * this is then the deactivation time. Null while they are current.
   */
  roles_as_of: number | null;
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

/** Who changes an account's status and why, for the audit entry written with the change. */
export interface AccountStatusCause {
  actor: AuditEntry['actor'];
  reason: string;
  /** Merged into the audit entry's details; never secrets. */
  details?: Record<string, unknown>;
}

export interface AccountStatusChange {
  user: User;
  /** False when the account already had that status (nothing was written). */
  changed: boolean;
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
  /**
   * The store's half of a deactivation, in one transaction: status `deactivated` with
   * its time, every live personal access token of the user revoked, the audit entry.
   * Call `deactivateUser` (src/identity/account-status.ts) instead: it also ends the
   * user's sessions. Undefined when the organization has no such user; the owner
   * cannot be deactivated (409 `GH-ORG-OWNER`).
   */
  commitDeactivation(organizationId: string, userId: string, cause: AccountStatusCause): Promise<(AccountStatusChange & { tokens_revoked: string[] }) | undefined>;
  /**
   * The store's half of a reactivation, in one transaction with its audit entry. It
   * revives nothing: revoked tokens stay revoked. A native user's roles are current
   * again; an SSO user's are dropped with their last-seen groups, and come fresh from
   * Okta at the next sign-in or sync. Call `reactivateUser` (src/identity/account-status.ts).
   */
  commitReactivation(organizationId: string, userId: string, cause: AccountStatusCause): Promise<AccountStatusChange | undefined>;
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
