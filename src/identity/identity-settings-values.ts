import { z } from 'zod';
import type { KeyRing } from '../crypto/keyring.js';
import { GatehouseError } from '../errors.js';
import { defaultOktaScopes, oktaAuthorizationServer, oktaOrgUrl } from '../okta/issuer.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { flexBoolean, flexInteger } from '../schema/flex.js';
import { SchemaViolationError, type FieldIssue } from '../store/errors.js';
import type { IdentitySettingsValues } from '../store/repositories/identity/index.js';
import { parseInput } from './input-fields.js';
import type { IdentitySettings } from '../model/identity.js';

/**
 * An organization's identity settings as values: what an input may say, their canonical
 * form (defaults applied, the issuer derived as Okta builds it), and the keyed
 * fingerprint that ties a passing Test Configuration to exactly the values it tested.
 */

export const SECRET_FIELDS = ['client_secret', 'api_token'] as const;
const FINGERPRINT_PURPOSE = 'identity-settings';

export const DEFAULT_GROUPS_CLAIM = 'groups';
export const DEFAULT_LOGIN_CLAIM = 'login_email';
export const DEFAULT_SYNC_INTERVAL_SECONDS = 900;

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

/**
 * The canonical settings an input names: defaults applied, the issuer derived from
 * the Okta domain as Okta builds it, secrets left out taken from `stored`. Throws one
 * schema violation naming every wrong field.
 */
export function canonicalSettings(input: unknown, stored: IdentitySettings | undefined): IdentitySettingsValues {
  const fields = parseInput(settingsSchema, input);
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

/** The values that are not secret, as the audit log and a merge (PATCH) see them. */
export function publicValues(values: IdentitySettingsValues | IdentitySettings): Record<string, unknown> {
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
