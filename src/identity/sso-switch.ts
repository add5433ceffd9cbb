import { z } from 'zod';
import { flexBoolean } from '../schema/flex.js';
import { SchemaViolationError } from '../store/errors.js';
import { enableOrganizationSso, listRoleMappings, readIdentitySettings, writeAudit, IdentityConflictError } from '../store/repositories/identity/index.js';
import { auditEntry, type AuditActor } from '../model/audit.js';
import type { IdentityServiceDeps } from './identity-settings-deps.js';
import { parseInput } from './input-fields.js';
import type { Organization } from '../model/identity.js';
import { IDENTITY_ENABLE_ENDPOINT, IDENTITY_NOT_CONFIGURED, IDENTITY_NO_MAPPING, IDENTITY_SSO_IRREVERSIBLE } from './error-codes.js';

/**
 * Single sign-on is a one-way switch with its own endpoint: once on, members sign in
 * with Okta and only the owner keeps a password. Every request that mentions
 * `sso_enabled` elsewhere is held to that here.
 */

/**
 * Refuses `sso_enabled: false` once SSO is on, and `true` before: turning it on has its
 * own endpoint, so it is never a side effect of `sideEffectOf` ("an update").
 */
export function refuseSsoSwitch(organization: Organization, requested: unknown, sideEffectOf: string): void {
  if (requested === false && organization.sso_enabled) {
    throw new IdentityConflictError(
      IDENTITY_SSO_IRREVERSIBLE,
      'SSO cannot be turned off once enabled; members sign in with Okta from now on and the owner keeps password sign-in. ' +
        'To change how people sign in, change the identity settings (a new Test Configuration is needed) or the group mappings',
      'sso_enabled',
    );
  }
  if (requested === true && !organization.sso_enabled) {
    throw new IdentityConflictError(
      IDENTITY_ENABLE_ENDPOINT,
      `turn SSO on with POST /organizations/${organization.id}/identity/enable and the body {"confirm": true}: it cannot be undone, so it is never a side effect of ${sideEffectOf}`,
      'sso_enabled',
    );
  }
}

/** `refuseSsoSwitch` on a raw settings body, before anything else in it is looked at. */
export function checkSsoSwitch(organization: Organization, input: unknown): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || !('sso_enabled' in input)) return;
  const raw = (input as Record<string, unknown>).sso_enabled;
  refuseSsoSwitch(organization, raw === 'false' ? false : raw === 'true' ? true : raw, 'saving settings');
}

const enableSchema = z.object({ confirm: flexBoolean.optional() }).strict();

/**
 * Turns SSO on, irreversibly: needs `{"confirm": true}`, saved settings and at least
 * one group mapping. From then on only the owner signs in with a password.
 */
export async function enableSso(deps: IdentityServiceDeps, organization: Organization, input: unknown, actor: AuditActor): Promise<Organization> {
  const fields = parseInput(enableSchema, input);
  if (fields.confirm !== true) {
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
      IDENTITY_NOT_CONFIGURED,
      `save identity settings first: test them (POST /organizations/${organization.id}/identity/test), then PUT /organizations/${organization.id}/identity`,
    );
  }
  const mappings = await listRoleMappings(deps.db, organization.id);
  if (mappings.length === 0) {
    throw new IdentityConflictError(
      IDENTITY_NO_MAPPING,
      `map at least one Okta group to a role first (POST /organizations/${organization.id}/role-mappings with {"group": "...", "role": "..."}): without one nobody could sign in with Okta`,
    );
  }
  return deps.db.transaction().execute(async (trx) => {
    const enabled = await enableOrganizationSso(trx, organization);
    await writeAudit(
      trx,
      auditEntry(actor, organization.id, 'identity.sso.enable', {
        target: { type: 'organization', id: organization.id },
        details: { issuer: settings.issuer, mappings: mappings.length },
      }),
    );
    return enabled;
  });
}
