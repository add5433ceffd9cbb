import { GROUPS_SCOPE, groupsClaimFix } from '../okta/groups-claim.js';
import type { IdentitySettings } from '../model/identity.js';
import { SSO_GROUPS_UNAVAILABLE } from './error-codes.js';

/**
 * Where a user's Okta groups come from at sign-in, in order: the ID token's groups
 * claim, else userinfo (Okta's thin ID tokens), else the Management API when an API
 * token is configured. Okta's 100-group limit is handled in all its reported forms:
 * an error naming the groups claim, exactly 100 groups (possibly truncated), or no
 * claim at all — each falls through to the API when it can.
 */

export const OKTA_GROUPS_CLAIM_LIMIT = 100;

export type GroupsSource = 'id_token' | 'userinfo' | 'okta_api';

export interface ResolvedGroups {
  groups: string[];
  source: GroupsSource;
}

export interface GroupSources {
  /** Claims of the ID token. */
  idClaims: Record<string, unknown>;
  /** Loads userinfo claims; undefined when the provider has no userinfo endpoint. */
  userinfo?: () => Promise<Record<string, unknown>>;
  /** Loads the user's groups from the Okta API; undefined without an API token. */
  oktaApi?: () => Promise<string[]>;
  claim: string;
}

export class GroupsUnavailableError extends Error {
  readonly code = SSO_GROUPS_UNAVAILABLE;
}

/** A claim value as a list of group names; undefined when the claim is absent or not a list. */
export function groupsClaim(claims: Record<string, unknown> | undefined, claim: string): string[] | undefined {
  const value = claims?.[claim];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'string') return [value];
  return undefined;
}

/** A list that may have been cut at Okta's limit: only the API can tell. */
function maybeTruncated(groups: readonly string[]): boolean {
  return groups.length >= OKTA_GROUPS_CLAIM_LIMIT;
}

export async function resolveGroups(sources: GroupSources): Promise<ResolvedGroups> {
  const fromToken = groupsClaim(sources.idClaims, sources.claim);
  if (fromToken && !(maybeTruncated(fromToken) && sources.oktaApi)) return { groups: fromToken, source: 'id_token' };
  if (!fromToken && sources.userinfo) {
    const fromUserinfo = groupsClaim(await sources.userinfo(), sources.claim);
    if (fromUserinfo && !(maybeTruncated(fromUserinfo) && sources.oktaApi)) return { groups: fromUserinfo, source: 'userinfo' };
  }
  if (sources.oktaApi) return { groups: await sources.oktaApi(), source: 'okta_api' };
  if (fromToken) return { groups: fromToken, source: 'id_token' };
  throw new GroupsUnavailableError(
    `Okta sent no "${sources.claim}" claim and no API token is configured to look the groups up; add the groups claim to the app or set an API token`,
  );
}

/** Whether an error from /authorize or /token is Okta refusing an over-long groups claim. */
export function isGroupsLimitError(error: string | undefined, description: string | undefined): boolean {
  // Okta's wording varies ("… cannot exceed 100 groups", "… matched too many groups …"): any
  // invalid_request that names the groups claim and a limit counts.
  const text = description ?? '';
  return error === 'invalid_request' && /groups/i.test(text) && /(100|limit|exceed|too many)/i.test(text);
}

/**
 * What sign-in does after Okta refused the groups claim over its 100-group limit: sign in
 * again without the `groups` scope (the groups then come from the API), or refuse with a
 * reason that names what the organization's admin must change. `code` is the console's
 * `?error=` code for the refusal.
 */
export type GroupsLimitStep =
  | { action: 'retry-without-groups-scope' }
  | { action: 'refuse'; code: 'groups-claim-every-scope' | 'groups-over-limit'; reason: string };

export function afterGroupsLimitError(
  settings: Pick<IdentitySettings, 'api_token' | 'scopes' | 'authorization_server_id' | 'groups_claim'>,
  options: { retriedWithoutGroupsScope: boolean },
): GroupsLimitStep {
  const refused = 'Okta refused the groups claim: the person is in more than 100 groups it would list';
  if (!settings.api_token) {
    return {
      action: 'refuse',
      code: 'groups-over-limit',
      reason: `${refused}, and without an Okta API token Gatehouse cannot read them from the Management API. Set an API token in the identity settings, and have the groups claim come only with the ${GROUPS_SCOPE} scope. ${groupsClaimFix(settings.authorization_server_id || 'org', settings.groups_claim)}`,
    };
  }
  if (!options.retriedWithoutGroupsScope && settings.scopes.includes(GROUPS_SCOPE)) return { action: 'retry-without-groups-scope' };
  // Asked without the groups scope (again, or from the start) and refused all the same: the
  // claim comes with every sign-in. Only a change in Okta helps.
  const when = options.retriedWithoutGroupsScope ? `again when Gatehouse asked without the ${GROUPS_SCOPE} scope` : `although Gatehouse did not ask for the ${GROUPS_SCOPE} scope`;
  return {
    action: 'refuse',
    code: 'groups-claim-every-scope',
    reason: `${refused}, ${when}: the authorization server includes the groups claim in every sign-in (“Include in: Any scope”). ${groupsClaimFix(settings.authorization_server_id || 'org', settings.groups_claim)}`,
  };
}
