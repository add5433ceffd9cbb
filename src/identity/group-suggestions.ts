import { listRoleMappings, readIdentitySettings, IdentityConflictError } from '../store/repositories/identity/index.js';
import type { IdentityServiceDeps, OktaGroupSuggestion } from './identity-settings-deps.js';
import type { Organization } from '../model/identity.js';
import { IDENTITY_NO_API_TOKEN } from './error-codes.js';

/** Okta group names for the mapping form, read with the organization's Okta API token. */

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
      IDENTITY_NO_API_TOKEN,
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
