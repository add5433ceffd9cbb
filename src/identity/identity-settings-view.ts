import { latestIdentityTest, readIdentitySettings } from '../store/repositories/identity/index.js';
import type { IdentityServiceDeps } from './identity-settings-deps.js';
import type { Organization } from '../model/identity.js';

/**
 * The identity settings as the API shows them: secrets write-only (`{set, ends_in}`), the
 * last test, and the values to copy into Okta.
 */

/** The values an admin copies into the Okta app (sign-in redirect, sign-out redirect, initiate login URIs). */
export function oktaAppValues(publicUrl: string, loginPath: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    sign_in_redirect_uri: `${base}/login/callback`,
    sign_out_redirect_uri: `${base}/login/${loginPath}`,
    initiate_login_uri: `${base}/login/${loginPath}/initiate`,
    // For providers that send OpenID Connect Back-Channel Logout (src/sign-in/backchannel-logout.ts).
    backchannel_logout_uri: `${base}/login/${loginPath}/backchannel-logout`,
    login_url: `${base}/login/${loginPath}`,
  };
}

/** How a secret is shown: never its value; whether it is set and, for long ones, its last 4 characters. */
export function secretView(secret: string | null | undefined): { set: true; ends_in: string | null } | null {
  if (!secret) return null;
  return { set: true, ends_in: secret.length >= 12 ? secret.slice(-4) : null };
}

export interface IdentitySettingsView {
  organization_id: string;
  configured: boolean;
  provider: 'okta' | 'oidc' | null;
  okta_domain: string | null;
  authorization_server_id: string | null;
  issuer: string | null;
  client_id: string | null;
  client_secret: { set: true; ends_in: string | null } | null;
  api_token: { set: true; ends_in: string | null } | null;
  scopes: string[] | null;
  groups_claim: string | null;
  login_claim: string | null;
  single_logout: boolean | null;
  sync_interval_seconds: number | null;
  tested_at: number | null;
  updated_at: number | null;
  sso_enabled: boolean;
  sso_enabled_at: number | null;
  /** What to enter in the Okta app. */
  okta_app: ReturnType<typeof oktaAppValues>;
  last_test: { passed: boolean; tested_at: number; checks: unknown[] } | null;
}

/** The settings as the API shows them: secrets write-only (`{set, ends_in}`), plus the values for Okta. */
export async function identityView(deps: IdentityServiceDeps, organization: Organization): Promise<IdentitySettingsView> {
  const settings = await readIdentitySettings(deps.db, deps.keyRing, organization.id);
  const last = await latestIdentityTest(deps.db, organization.id);
  return {
    organization_id: organization.id,
    configured: settings !== undefined,
    provider: settings?.provider ?? null,
    okta_domain: settings?.okta_domain ?? null,
    authorization_server_id: settings?.authorization_server_id ?? null,
    issuer: settings?.issuer ?? null,
    client_id: settings?.client_id ?? null,
    client_secret: secretView(settings?.client_secret),
    api_token: secretView(settings?.api_token),
    scopes: settings?.scopes ?? null,
    groups_claim: settings?.groups_claim ?? null,
    login_claim: settings?.login_claim ?? null,
    single_logout: settings?.single_logout ?? null,
    sync_interval_seconds: settings?.sync_interval_seconds ?? null,
    tested_at: settings?.tested_at ?? null,
    updated_at: settings?.updated_at ?? null,
    sso_enabled: organization.sso_enabled,
    sso_enabled_at: organization.sso_enabled_at,
    okta_app: oktaAppValues(deps.publicUrl(), organization.login_path),
    last_test: last ? { passed: last.passed, tested_at: last.created_at, checks: last.checks } : null,
  };
}
