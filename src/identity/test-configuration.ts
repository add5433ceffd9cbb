import { isOrgAuthorizationServer } from '../okta/issuer.js';
import type { ConnectionCheck } from '../okta/connection-checks/check.js';
import { insertIdentityTest, listRoleMappings, readIdentitySettings, writeAudit } from '../store/repositories/identity/index.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import type { IdentityServiceDeps } from './identity-settings-deps.js';
import { canonicalSettings, publicValues, settingsFingerprint } from './identity-settings-values.js';
import { oktaAppValues } from './identity-settings-view.js';
import type { Organization } from '../model/identity.js';

/**
 * "Test Configuration": the connection test run on candidate identity settings, and
 * remembered under the fingerprint of exactly the values tested, secrets included, so
 * that saving can require a passing test of what it saves.
 */

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
