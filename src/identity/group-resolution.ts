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
  readonly code = 'GH-SSO-GROUPS-UNAVAILABLE';
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
