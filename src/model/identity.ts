/**
 * The organization-side records (issue 3): organizations, users, roles, mappings,
 * identity settings, audit entries, as the store keeps them and everything above reads
 * them. Data only: `model/` imports nothing. The store's operations on them are
 * `IdentityStore` (src/store/repositories/identity/identity-store.ts).
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

/** A role that Okta groups give, with every mapping rule that grants it and the group that matched. */
export interface RoleGrant {
  role_id: string;
  granted_by: Array<{ rule_id: string; group: string }>;
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
