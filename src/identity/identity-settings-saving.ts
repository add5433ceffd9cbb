import { findPassingIdentityTest, readIdentitySettings, writeAudit, writeIdentitySettings, IdentityConflictError } from '../store/repositories/identity/index.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import { describeChanges } from './audit.js';
import type { IdentityServiceDeps } from './identity-settings-deps.js';
import { canonicalSettings, publicValues, SECRET_FIELDS, settingsFingerprint } from './identity-settings-values.js';
import { identityView, type IdentitySettingsView } from './identity-settings-view.js';
import type { Organization } from '../model/identity.js';
import { checkSsoSwitch } from './sso-switch.js';
import { IDENTITY_UNTESTED } from './error-codes.js';

/**
 * Saving an organization's identity settings: only values a passing Test Configuration
 * covered (test-configuration.ts), and with an audit entry naming what changed, secrets
 * by name only.
 */

/**
 * Saves settings (PUT), or merges `input` over the stored values (`merge`, PATCH).
 * Refused with IDENTITY_UNTESTED (409) unless a passing test of exactly these
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
      IDENTITY_UNTESTED,
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
