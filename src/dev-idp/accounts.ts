import type { Account, FindAccount } from 'oidc-provider';
import { errors } from './provider-library.js';
import type { Directory, DirectoryUser } from './directory.js';
import type { DevIdpSwitches } from './switches.js';

/**
 * What the stand-in says about a user: the claims of ID tokens and userinfo, Okta style,
 * including the groups claim with its client filter and 100-group limit.
 */

/** Okta's groups claim holds at most this many groups. */
export const GROUPS_CLAIM_LIMIT = 100;

/** Okta's wording (support article "The groups claim matched too many groups..."). */
export const GROUPS_OVER_LIMIT_DESCRIPTION =
  'The groups claim matched too many groups and must be configured to match fewer groups';

/** `idp` in Okta tokens is the org id for users of the Okta directory itself. */
export const DEV_ORG_ID = '00ogatehousedev00001';

export type ServerKind = 'org' | 'custom';

/**
 * The scopes a server's groups claim is included in (Okta's "Include in"); empty means any
 * scope. The org server's groups claim (configured on the app) only comes with `groups`.
 */
export type GroupsClaimScopes = readonly string[];

export const ORG_SERVER_GROUPS_CLAIM_SCOPES: GroupsClaimScopes = ['groups'];

/** Claims per scope; `login_email` is configured "Always" (in the openid scope). */
export function scopeClaims(groupsClaimScopes: GroupsClaimScopes): Record<string, string[]> {
  const claims: Record<string, string[]> = {
    openid: ['sub', 'ver', 'idp', 'amr', 'login_email'],
    profile: ['name', 'preferred_username', 'given_name', 'family_name', 'locale', 'zoneinfo', 'updated_at'],
    email: ['email', 'email_verified'],
    address: ['address'],
    phone: ['phone_number'],
    offline_access: [],
    groups: [],
  };
  for (const scope of groupsClaimScopes.length === 0 ? Object.keys(claims) : groupsClaimScopes) claims[scope]?.push('groups');
  return claims;
}

export const SUPPORTED_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'groups'];

/** Compiles an Okta "Matches regex" filter: the whole group name must match. */
export function compileGroupsFilter(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

export type GroupsClaim =
  | { outcome: 'claim'; groups: string[] }
  | { outcome: 'omit' }
  | { outcome: 'over-limit' };

export function resolveGroupsClaim(
  directory: Directory,
  userId: string,
  filter: RegExp,
  switches: DevIdpSwitches,
): GroupsClaim {
  if (switches.omitGroupsClaim) return { outcome: 'omit' };
  const groups = directory
    .groupsOf(userId)
    .map((group) => group.name)
    .filter((name) => filter.test(name));
  if (groups.length <= GROUPS_CLAIM_LIMIT) return { outcome: 'claim', groups };
  switch (switches.groupsOverLimit) {
    case 'truncate':
      return { outcome: 'claim', groups: groups.slice(0, GROUPS_CLAIM_LIMIT) };
    case 'omit':
      return { outcome: 'omit' };
    default:
      return { outcome: 'over-limit' };
  }
}

/** Whether a token for `scopes` carries the groups claim (and so may hit the 100-group limit). */
export function groupsClaimApplies(groupsClaimScopes: GroupsClaimScopes, scopes: Iterable<string>): boolean {
  const requested = new Set(scopes);
  if (groupsClaimScopes.length === 0) return requested.size > 0;
  return groupsClaimScopes.some((scope) => requested.has(scope));
}

export interface ClaimsDeps {
  directory: Directory;
  switches: DevIdpSwitches;
  /** Compiled groups filter per client id. */
  groupsFilters: ReadonlyMap<string, RegExp>;
}

/**
 * Every claim the user could have for `use`; callers (oidc-provider's scope mask for ID
 * tokens, the userinfo endpoint) keep those the granted scopes allow.
 * Okta's code-flow ID token carries a short profile; userinfo has the rest.
 * A groups claim over the limit throws (ID token, i.e. /token) or is left out (userinfo).
 */
export function userClaims(
  deps: ClaimsDeps,
  user: DirectoryUser,
  clientId: string,
  use: 'id_token' | 'userinfo',
  scopes: Iterable<string>,
  groupsClaimScopes: GroupsClaimScopes,
): Record<string, unknown> {
  const name = `${user.firstName} ${user.lastName}`;
  const claims: Record<string, unknown> = {
    sub: user.id,
    ver: 1,
    idp: DEV_ORG_ID,
    name,
    preferred_username: user.login,
    email: user.email,
    login_email: user.email,
  };
  if (use === 'userinfo') {
    Object.assign(claims, {
      given_name: user.firstName,
      family_name: user.lastName,
      locale: 'en_US',
      zoneinfo: 'America/Los_Angeles',
      updated_at: Math.floor(user.lastUpdated.getTime() / 1000),
      email_verified: true,
    });
  }
  if (groupsClaimApplies(groupsClaimScopes, scopes)) {
    const filter = deps.groupsFilters.get(clientId) ?? compileGroupsFilter('.*');
    const groups = resolveGroupsClaim(deps.directory, user.id, filter, deps.switches);
    if (groups.outcome === 'claim') claims.groups = groups.groups;
    if (groups.outcome === 'over-limit' && use === 'id_token') {
      throw new errors.InvalidRequest(GROUPS_OVER_LIMIT_DESCRIPTION);
    }
  }
  return claims;
}

/** Claims allowed by `scopes`, per `scopeClaims`. */
export function maskClaims(claims: Record<string, unknown>, scopes: Iterable<string>, groupsClaimScopes: GroupsClaimScopes): Record<string, unknown> {
  const mapping = scopeClaims(groupsClaimScopes);
  const allowed = new Set<string>();
  for (const scope of scopes) for (const claim of mapping[scope] ?? []) allowed.add(claim);
  return Object.fromEntries(Object.entries(claims).filter(([claim]) => allowed.has(claim)));
}

/** oidc-provider's `findAccount`: only ACTIVE users exist, so deactivation ends refresh and SSO. */
export function createFindAccount(deps: ClaimsDeps, groupsClaimScopes: GroupsClaimScopes): FindAccount {
  return (ctx, sub) => {
    const user = deps.directory.userById(sub);
    if (!user || user.status !== 'ACTIVE') return undefined;
    const account: Account = {
      accountId: user.id,
      claims: (use, scope) => userClaims(deps, user, ctx.oidc?.client?.clientId ?? '', use, scope.split(' '), groupsClaimScopes),
    };
    return account;
  };
}
