import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { KeyRing } from '../crypto/keyring.js';
import { GatehouseError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ConnectionCheck, ConnectionTestOptions, ConnectionTestResult, IdentityConnectionSettingsInput } from '../okta/connection-test.js';
import { defaultOktaScopes, isOrgAuthorizationServer, oktaAuthorizationServer, oktaOrgUrl } from '../okta/issuer.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { flexBoolean, flexInteger } from '../schema/flex.js';
import { SchemaViolationError, type FieldIssue } from '../store/errors.js';
import {
  enableOrganizationSso,
  findPassingIdentityTest,
  insertIdentityTest,
  latestIdentityTest,
  listRoleMappings,
  readIdentitySettings,
  writeAudit,
  writeIdentitySettings,
  IdentityConflictError,
  type IdentitySettingsValues,
} from '../store/repositories/identity/index.js';
import type { Database } from '../store/schema.js';
import { validate } from '../store/validation.js';
import { auditEntry, describeChanges, type AuditActor } from './audit.js';
import type { IdentitySettings, Organization } from './model.js';
import { ssoIrreversibleError } from './organizations.js';

/**
 * An organization's identity settings: validation and canonical form, "Test
 * Configuration" (the connection test, remembered by a keyed fingerprint of exactly
 * the values tested, secrets included), saving (only values a passing test covered),
 * the irreversible switch to SSO, and the values to copy into Okta.
 */

export type ConnectionTester = (settings: IdentityConnectionSettingsInput, options?: ConnectionTestOptions) => Promise<ConnectionTestResult>;

export interface OktaGroupSuggestion {
  id: string;
  name: string;
  description: string | null;
  type: string;
}

/** Group names from Okta's Management API for the suggestions in the mapping UI. */
export type OktaGroupSearcher = (settings: IdentitySettings, query: string, limit: number) => Promise<OktaGroupSuggestion[]>;

export interface IdentityServiceDeps {
  db: Kysely<Database>;
  keyRing: KeyRing;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`), without a trailing slash. */
  publicUrl: () => string;
  testConnection: ConnectionTester;
  searchGroups: OktaGroupSearcher;
  log: Logger;
}

export const SECRET_FIELDS = ['client_secret', 'api_token'] as const;
const FINGERPRINT_PURPOSE = 'identity-settings';

export const DEFAULT_GROUPS_CLAIM = 'groups';
export const DEFAULT_LOGIN_CLAIM = 'login_email';
export const DEFAULT_SYNC_INTERVAL_SECONDS = 900;

/** The values an admin copies into the Okta app (sign-in redirect, sign-out redirect, initiate login URIs). */
export function oktaAppValues(publicUrl: string, loginPath: string) {
  const base = publicUrl.replace(/\/+$/, '');
  return {
    sign_in_redirect_uri: `${base}/login/callback`,
    sign_out_redirect_uri: `${base}/login/${loginPath}`,
    initiate_login_uri: `${base}/login/${loginPath}/initiate`,
    // For providers that send OpenID Connect Back-Channel Logout (src/gateway/sign-in-routes.ts).
    backchannel_logout_uri: `${base}/login/${loginPath}/backchannel-logout`,
    login_url: `${base}/login/${loginPath}`,
  };
}

/** How a secret is shown: never its value; whether it is set and, for long ones, its last 4 characters. */
export function secretView(secret: string | null | undefined): { set: true; ends_in: string | null } | null {
  if (!secret) return null;
  return { set: true, ends_in: secret.length >= 12 ? secret.slice(-4) : null };
}

// ---------------------------------------------------------------------------------
// Input and canonical form

const claimName = z
  .string()
  .trim()
  .min(1, { error: 'length must be at least 1' })
  .max(100, { error: 'length must be at most 100' })
  .regex(/^[\x21-\x7e]+$/, { error: 'a claim name is one word of printable characters, e.g. groups' });

const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

const settingsSchema = z
  .object({
    provider: z.enum(['okta', 'oidc']),
    okta_domain: z.string().nullable().optional(),
    authorization_server_id: z.string().nullable().optional(),
    issuer: z.string().nullable().optional(),
    client_id: z.string().trim().max(500),
    client_secret: z.string().min(1, { error: 'must not be empty; leave it out to keep the stored secret' }).max(2000).nullable().optional(),
    api_token: z.string().max(500).nullable().optional(),
    scopes: z.union([z.string(), z.array(z.string())]).nullable().optional(),
    groups_claim: claimName.nullable().optional(),
    login_claim: claimName.nullable().optional(),
    single_logout: flexBoolean.nullable().optional(),
    sync_interval_seconds: flexInteger
      .pipe(z.number().min(60, { error: 'value should be between 60 and 86400' }).max(86400, { error: 'value should be between 60 and 86400' }))
      .nullable()
      .optional(),
    /** Accepted only as it is: SSO is turned on by POST .../identity/enable and never off. */
    sso_enabled: flexBoolean.optional(),
  })
  .strict();

function issueFrom(error: unknown, fallbackField: string): FieldIssue {
  if (error instanceof GatehouseError) return { path: [error.field ?? fallbackField], message: error.message };
  throw error;
}

/** Refuses `sso_enabled: false` once SSO is on, and `true` before (that has its own endpoint), before anything else is looked at. */
export function checkSsoSwitch(organization: Organization, input: unknown): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !('sso_enabled' in input)) return;
  const raw = (input as Record<string, unknown>).sso_enabled;
  const value = raw === 'false' ? false : raw === 'true' ? true : raw;
  if (value === false && organization.sso_enabled) throw ssoIrreversibleError();
  if (value === true && !organization.sso_enabled) {
    throw new IdentityConflictError(
      'GH-IDENTITY-ENABLE-ENDPOINT',
      `turn SSO on with POST /organizations/${organization.id}/identity/enable and the body {"confirm": true}: it cannot be undone, so it is never a side effect of saving settings`,
      'sso_enabled',
    );
  }
}

/**
 * The canonical settings an input names: defaults applied, the issuer derived from
 * the Okta domain as Okta builds it, secrets left out taken from `stored`. Throws one
 * schema violation naming every wrong field.
 */
export function canonicalSettings(input: unknown, stored: IdentitySettings | undefined): IdentitySettingsValues {
  const body = input === undefined || input === null ? {} : input;
  const result = validate(settingsSchema, body);
  if (!result.success) throw new SchemaViolationError(result.issues);
  const fields = result.data;
  const issues: FieldIssue[] = [];

  let oktaDomain: string | null = null;
  let authorizationServerId: string | null = null;
  let issuer = '';
  if (fields.provider === 'okta') {
    if (fields.issuer) issues.push({ path: ['issuer'], message: 'set okta_domain and authorization_server_id instead: for provider okta the issuer is derived from them' });
    if (!fields.okta_domain) {
      issues.push({ path: ['okta_domain'], message: 'required for provider okta: your Okta domain, e.g. dev-123.okta.com' });
    } else {
      try {
        const orgUrl = new URL(oktaOrgUrl(fields.okta_domain));
        // Stored without the scheme when it is the usual https; loopback test servers keep theirs.
        oktaDomain = orgUrl.protocol === 'https:' && !isLoopbackHost(orgUrl.hostname) ? orgUrl.host : orgUrl.origin;
        const requested = fields.authorization_server_id ?? null;
        const server = oktaAuthorizationServer(oktaDomain, requested);
        authorizationServerId = server.kind === 'org' ? 'org' : server.id;
        issuer = server.issuer;
      } catch (error) {
        issues.push(issueFrom(error, 'okta_domain'));
      }
    }
  } else {
    if (fields.okta_domain) issues.push({ path: ['okta_domain'], message: "only for provider okta; for provider oidc set issuer" });
    if (fields.authorization_server_id) issues.push({ path: ['authorization_server_id'], message: "only for provider okta; for provider oidc set issuer" });
    if (fields.api_token) issues.push({ path: ['api_token'], message: "an Okta Management API token works with provider okta only; remove it" });
    if (!fields.issuer) {
      issues.push({ path: ['issuer'], message: 'required for provider oidc: the issuer URL exactly as the provider writes it, e.g. https://login.example.com' });
    } else {
      issuer = fields.issuer.trim().replace(/\/\.well-known\/openid-configuration$/, '');
      let url: URL | undefined;
      try {
        url = new URL(issuer);
      } catch {
        url = undefined;
      }
      if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) || url.search || url.hash || url.username) {
        issues.push({ path: ['issuer'], message: 'must be an https URL without query, fragment or credentials (plain http only for loopback test servers)' });
      }
    }
  }

  if (fields.client_id === '') issues.push({ path: ['client_id'], message: 'required: copy it from the app in Okta (General > Client Credentials)' });
  const clientSecret = fields.client_secret ?? stored?.client_secret;
  if (!clientSecret) {
    issues.push({
      path: ['client_secret'],
      message: fields.client_secret === null ? 'cannot be cleared: the client secret is required' : 'required field missing: copy it from the app in Okta (General > Client Credentials)',
    });
  }
  let apiToken: string | null;
  if (fields.provider !== 'okta') apiToken = null;
  else if (fields.api_token === undefined) apiToken = stored?.provider === 'okta' ? stored.api_token : null;
  else apiToken = fields.api_token === null || fields.api_token.trim() === '' ? null : fields.api_token.trim();
  if (apiToken !== null && !/^[\x21-\x7e]+$/.test(apiToken)) issues.push({ path: ['api_token'], message: 'must be one word of printable characters; copy it again from Okta' });

  let scopes: string[];
  if (fields.scopes === undefined || fields.scopes === null || (typeof fields.scopes === 'string' && fields.scopes.trim() === '')) {
    scopes = fields.provider === 'okta' ? defaultOktaScopes(authorizationServerId) : ['openid', 'profile', 'email'];
  } else {
    const list = typeof fields.scopes === 'string' ? fields.scopes.split(/\s+/) : fields.scopes.flatMap((scope) => scope.split(/\s+/));
    scopes = [...new Set(list.filter((scope) => scope !== ''))];
    const bad = scopes.find((scope) => !SCOPE.test(scope));
    if (bad !== undefined) issues.push({ path: ['scopes'], message: `'${bad}' is not a valid scope name` });
    else if (!scopes.includes('openid')) issues.push({ path: ['scopes'], message: "must include openid (sign-in uses OpenID Connect); e.g. 'openid profile email'" });
  }

  if (issues.length > 0) throw new SchemaViolationError(issues);
  return {
    provider: fields.provider,
    okta_domain: oktaDomain,
    authorization_server_id: authorizationServerId,
    issuer,
    client_id: fields.client_id,
    client_secret: clientSecret!,
    api_token: apiToken,
    scopes,
    groups_claim: fields.groups_claim ?? DEFAULT_GROUPS_CLAIM,
    login_claim: fields.login_claim ?? DEFAULT_LOGIN_CLAIM,
    single_logout: fields.single_logout ?? false,
    sync_interval_seconds: fields.sync_interval_seconds ?? DEFAULT_SYNC_INTERVAL_SECONDS,
  };
}

/** The keyed fingerprint of exactly these values for this organization (secrets included; scope order ignored). */
export function settingsFingerprint(keyRing: KeyRing, organizationId: string, values: IdentitySettingsValues): string {
  const canonical = JSON.stringify([
    organizationId,
    values.provider,
    values.okta_domain,
    values.authorization_server_id,
    values.issuer,
    values.client_id,
    values.client_secret,
    values.api_token,
    [...values.scopes].sort(),
    values.groups_claim,
    values.login_claim,
    values.single_logout,
    values.sync_interval_seconds,
  ]);
  return keyRing.fingerprint(FINGERPRINT_PURPOSE, canonical);
}

function publicValues(values: IdentitySettingsValues | IdentitySettings): Record<string, unknown> {
  return {
    provider: values.provider,
    okta_domain: values.okta_domain,
    authorization_server_id: values.authorization_server_id,
    issuer: values.issuer,
    client_id: values.client_id,
    scopes: values.scopes,
    groups_claim: values.groups_claim,
    login_claim: values.login_claim,
    single_logout: values.single_logout,
    sync_interval_seconds: values.sync_interval_seconds,
  };
}

// ---------------------------------------------------------------------------------
// Reading

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

// ---------------------------------------------------------------------------------
// Test Configuration

export interface IdentityTestAnswer {
  passed: boolean;
  message: string;
  checks: ConnectionCheck[];
  issuer: string;
  tested_at: number;
  okta_app: ReturnType<typeof oktaAppValues>;
}

/**
 * Runs the connection test on candidate settings (secrets left out reuse the stored
 * ones), with the organization's mapped groups, and records the run under the
 * fingerprint of exactly these values; the audit log gets the result.
 */
export async function testIdentitySettings(deps: IdentityServiceDeps, organization: Organization, input: unknown, actor: AuditActor): Promise<IdentityTestAnswer> {
  const stored = await readIdentitySettings(deps.db, deps.keyRing, organization.id);
  const body = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : input;
  // `sso_enabled` means nothing to a test; a client sending the whole view back may include it.
  if (body && typeof body === 'object') delete (body as Record<string, unknown>).sso_enabled;
  const values = canonicalSettings(body, stored);
  const mappedGroups = [...new Set((await listRoleMappings(deps.db, organization.id)).map((mapping) => mapping.group))];
  const okta = oktaAppValues(deps.publicUrl(), organization.login_path);
  const result = await deps.testConnection(
    {
      provider: values.provider,
      ...(values.provider === 'okta'
        ? { okta_domain: values.okta_domain, authorization_server_id: isOrgAuthorizationServer(values.authorization_server_id) ? 'org' : values.authorization_server_id }
        : { issuer: values.issuer }),
      client_id: values.client_id,
      client_secret: values.client_secret,
      api_token: values.api_token,
      scopes: values.scopes,
      redirect_uri: okta.sign_in_redirect_uri,
      mapped_groups: mappedGroups,
    },
    { log: deps.log },
  );
  const fingerprint = settingsFingerprint(deps.keyRing, organization.id, values);
  const checks = result.checks.map((check) => ({ name: check.name, passed: check.passed, ...(check.warning ? { warning: true as const } : {}), detail: check.detail }));
  const record = await deps.db.transaction().execute(async (trx) => {
    const saved = await insertIdentityTest(trx, { organization_id: organization.id, fingerprint, passed: result.passed, checks });
    await writeAudit(trx, auditEntry(actor, organization.id, 'identity.test', {
      target: { type: 'organization', id: organization.id },
      outcome: result.passed ? 'success' : 'failure',
      reason: result.passed ? null : result.message,
      details: { ...publicValues(values), api_token_set: values.api_token !== null, mapped_groups: mappedGroups.length, checks },
    }));
    return saved;
  });
  return { passed: result.passed, message: result.message, checks, issuer: values.issuer, tested_at: record.created_at, okta_app: okta };
}

// ---------------------------------------------------------------------------------
// Saving

/**
 * Saves settings (PUT), or merges `input` over the stored values (`merge`, PATCH).
 * Refused with GH-IDENTITY-UNTESTED (409) unless a passing test of exactly these
 * values exists; secrets left out keep the stored ones, `api_token: null` clears it.
 */
export async function saveIdentitySettings(
  deps: IdentityServiceDeps,
  organization: Organization,
  input: unknown,
  actor: AuditActor,
  options: { merge?: boolean } = {},
): Promise<IdentitySettingsView & { message: string }> {
  checkSsoSwitch(organization, input);
  const stored = await readIdentitySettings(deps.db, deps.keyRing, organization.id);
  let body = input && typeof input === 'object' && !Array.isArray(input) ? { ...(input as Record<string, unknown>) } : input;
  if (body && typeof body === 'object') delete (body as Record<string, unknown>).sso_enabled;
  if (options.merge && stored && body && typeof body === 'object') {
    const base = publicValues(stored);
    // Switching provider drops the other provider's fields rather than failing on them.
    const provider = (body as Record<string, unknown>).provider ?? stored.provider;
    if (provider !== stored.provider) {
      delete base.okta_domain;
      delete base.authorization_server_id;
      delete base.issuer;
      delete base.scopes;
    } else if (provider === 'okta') {
      delete base.issuer;
      if ('authorization_server_id' in (body as object) && !('scopes' in (body as object))) delete base.scopes;
    } else {
      delete base.okta_domain;
      delete base.authorization_server_id;
    }
    body = { ...base, ...(body as Record<string, unknown>) };
  }
  const values = canonicalSettings(body, stored);
  const fingerprint = settingsFingerprint(deps.keyRing, organization.id, values);
  const storedFingerprint = stored ? settingsFingerprint(deps.keyRing, organization.id, { ...stored }) : undefined;
  const unchanged = storedFingerprint === fingerprint;
  const test = unchanged ? undefined : await findPassingIdentityTest(deps.db, organization.id, fingerprint);
  if (!unchanged && !test) {
    throw new IdentityConflictError(
      'GH-IDENTITY-UNTESTED',
      'these identity settings have not passed a connection test: run Test Configuration with these values first ' +
        `(POST /organizations/${organization.id}/identity/test with the same body), then save them; any change needs a new test`,
    );
  }
  if (!unchanged) {
    await deps.db.transaction().execute(async (trx) => {
      await writeIdentitySettings(trx, deps.keyRing, organization.id, values, { fingerprint, tested_at: test!.created_at });
      const changes = describeChanges(
        stored ? { ...publicValues(stored), client_secret: stored.client_secret, api_token: stored.api_token } : undefined,
        { ...publicValues(values), client_secret: values.client_secret, api_token: values.api_token },
        SECRET_FIELDS,
      );
      await writeAudit(trx, auditEntry(actor, organization.id, 'identity.settings.update', {
        target: { type: 'organization', id: organization.id },
        details: { created: stored === undefined, changed: changes.changed, values: changes.values, secrets: changes.secrets, tested_at: test!.created_at },
      }));
    });
  }
  const view = await identityView(deps, organization);
  return { ...view, message: unchanged ? 'Identity settings unchanged' : 'Identity settings saved' };
}

// ---------------------------------------------------------------------------------
// Enabling SSO

const enableSchema = z.object({ confirm: flexBoolean.optional() }).strict();

/**
 * Turns SSO on, irreversibly: needs `{"confirm": true}`, saved settings and at least
 * one group mapping. From then on only the owner signs in with a password.
 */
export async function enableSso(deps: IdentityServiceDeps, organization: Organization, input: unknown, actor: AuditActor): Promise<Organization> {
  const result = validate(enableSchema, input === undefined || input === null ? {} : input);
  if (!result.success) throw new SchemaViolationError(result.issues);
  if (result.data.confirm !== true) {
    throw new SchemaViolationError([
      {
        path: ['confirm'],
        message:
          'must be true: enabling SSO cannot be undone (afterwards only the owner signs in with a password); send {"confirm": true} to go ahead',
      },
    ]);
  }
  if (organization.sso_enabled) return organization;
  const settings = await readIdentitySettings(deps.db, deps.keyRing, organization.id);
  if (!settings) {
    throw new IdentityConflictError(
      'GH-IDENTITY-NOT-CONFIGURED',
      `save identity settings first: test them (POST /organizations/${organization.id}/identity/test), then PUT /organizations/${organization.id}/identity`,
    );
  }
  const mappings = await listRoleMappings(deps.db, organization.id);
  if (mappings.length === 0) {
    throw new IdentityConflictError(
      'GH-IDENTITY-NO-MAPPING',
      `map at least one Okta group to a role first (POST /organizations/${organization.id}/role-mappings with {"group": "...", "role": "..."}): without one nobody could sign in with Okta`,
    );
  }
  return deps.db.transaction().execute(async (trx) => {
    const enabled = await enableOrganizationSso(trx, organization);
    await writeAudit(trx, auditEntry(actor, organization.id, 'identity.sso.enable', {
      target: { type: 'organization', id: organization.id },
      details: { issuer: settings.issuer, mappings: mappings.length },
    }));
    return enabled;
  });
}

// ---------------------------------------------------------------------------------
// Group suggestions

/** Okta groups whose name starts with `query`, with the roles each is mapped to. */
export async function suggestGroups(
  deps: IdentityServiceDeps,
  organization: Organization,
  query: string,
  limit: number,
): Promise<Array<OktaGroupSuggestion & { mapped_roles: string[] }>> {
  const settings = await readIdentitySettings(deps.db, deps.keyRing, organization.id);
  if (!settings || settings.provider !== 'okta' || !settings.api_token) {
    throw new IdentityConflictError(
      'GH-IDENTITY-NO-API-TOKEN',
      'group suggestions need an Okta API token: add api_token to the identity settings (test and save them); you can still type group names by hand',
      'api_token',
    );
  }
  const mappings = await listRoleMappings(deps.db, organization.id);
  const groups = await deps.searchGroups(settings, query, limit);
  return groups.map((group) => ({
    ...group,
    mapped_roles: mappings.filter((mapping) => mapping.group === group.name).map((mapping) => mapping.role_name),
  }));
}
