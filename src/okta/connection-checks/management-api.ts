import { GatehouseError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { describeNetworkError, OktaApiError } from '../errors.js';
import { GROUPS_SCOPE, groupsClaimAvoidable, groupsClaimFix } from '../groups-claim.js';
import { defaultOktaScopes, type OktaAuthorizationServer } from '../issuer.js';
import { OktaManagementApi, type OktaClaim, type OktaManagementApiOptions, type OktaTokenCheck } from '../management-api.js';
import { fail, pass, warn, type CheckContext, type ConnectionCheck } from './check.js';
import { OKTA_FORBIDDEN } from '../error-codes.js';

/**
 * The checks with Okta's Management API, when an API token is set: api_token (Okta
 * accepts it and it can read groups), then mapped_groups (at least one mapped group
 * exists) and groups_claim (people in more than 100 groups can sign in).
 */

/** Management API tuning for the test (see ConnectionTestOptions.managementApi). */
export type ManagementApiTuning = Pick<OktaManagementApiOptions, 'maxRateLimitRetries' | 'maxRateLimitWaitMs' | 'pageSize' | 'maxPages'>;

export async function runManagementChecks(
  context: CheckContext,
  okta: OktaAuthorizationServer,
  apiToken: string,
  tuning: ManagementApiTuning | undefined,
  log: Logger,
): Promise<ConnectionCheck[]> {
  const groupNames = context.settings.mapped_groups ?? [];
  const wantsGroups = groupNames.length > 0;
  // The org server's groups claim always needs the groups scope: nothing to look at there.
  const claimServer = okta.kind === 'custom' ? okta.id : null;
  const signal = context.signal;
  const notChecked = (reason: string) => [
    ...(wantsGroups ? [fail('mapped_groups', `Not checked: ${reason}`)] : []),
    ...(claimServer ? [fail('groups_claim', `Not checked: ${reason}`)] : []),
  ];

  let api: OktaManagementApi;
  try {
    api = new OktaManagementApi({
      oktaDomain: okta.orgUrl,
      apiToken,
      timeoutMs: context.timeoutMs,
      allowHttpOnLoopback: context.allowHttpOnLoopback,
      maxRateLimitRetries: 1,
      maxRateLimitWaitMs: 5_000,
      ...tuning,
      log,
    });
  } catch (error) {
    const reason = error instanceof GatehouseError ? error.message : 'the API token cannot be used';
    return [fail('api_token', reason), ...notChecked('needs an API token Okta accepts (see the api_token check).')];
  }

  let token: OktaTokenCheck | undefined;
  let tokenCheck: ConnectionCheck;
  try {
    token = await api.checkToken(signal ? { signal } : {});
    tokenCheck =
      token.status === 'valid'
        ? pass('api_token', `Okta's Management API at ${api.orgUrl} accepted the API token, and the token can read groups.`)
        : fail('api_token', token.error.message);
  } catch (error) {
    tokenCheck = fail('api_token', error instanceof OktaApiError ? error.message : `Could not check the API token: ${describeNetworkError(error)}`);
  }
  if (token?.status !== 'valid') return [tokenCheck, ...notChecked('needs an API token Okta accepts and that can read groups (see the api_token check).')];

  const [mappedGroups, groupsClaim] = await Promise.all([
    wantsGroups ? checkMappedGroups(api, groupNames, signal) : undefined,
    claimServer ? checkGroupsClaim(context, api, claimServer, signal) : undefined,
  ]);
  return [tokenCheck, ...(mappedGroups ? [mappedGroups] : []), ...(groupsClaim ? [groupsClaim] : [])];
}

async function checkMappedGroups(api: OktaManagementApi, groupNames: string[], signal: AbortSignal | undefined): Promise<ConnectionCheck> {
  try {
    const found = await api.groupsExist(groupNames, signal ? { signal } : {});
    const missing = found.missing.map((name) => (found.differentCase[name] ? `${name} (Okta has '${found.differentCase[name]}'; names are compared exactly)` : name));
    if (found.existing.length === 0) {
      return fail(
        'mapped_groups',
        `None of the mapped groups exists in Okta: ${missing.join(', ')}. Map at least one existing Okta group; names are compared exactly, including letter case.`,
      );
    }
    return pass('mapped_groups', `Found in Okta: ${found.existing.join(', ')}.${missing.length ? ` Not found: ${missing.join(', ')}.` : ''}`);
  } catch (error) {
    return fail('mapped_groups', error instanceof OktaApiError ? error.message : `Could not look the groups up: ${describeNetworkError(error)}`);
  }
}

/**
 * Whether people in more than 100 groups can sign in (see groups-claim.ts). Only Okta's claims
 * API tells how the groups claim is configured: no token request shows it short of someone
 * over the limit signing in (tokens for the client alone carry no user, hence no groups).
 * Without an API token it can only be found when it bites, at such a sign-in, whose refusal
 * then says what to change.
 */
async function checkGroupsClaim(context: CheckContext, api: OktaManagementApi, server: string, signal: AbortSignal | undefined): Promise<ConnectionCheck> {
  const requested = context.settings.scopes ?? defaultOktaScopes(server);
  let claims: OktaClaim[];
  try {
    claims = await api.authorizationServerClaims(server, signal ? { signal } : {});
  } catch (error) {
    if (error instanceof OktaApiError && error.code === OKTA_FORBIDDEN) {
      return warn(
        'groups_claim',
        `Okta did not let the API token read the claims of authorization server ${server}, so Gatehouse cannot tell whether people in more than 100 groups can sign in. Create the API token as an administrator who may read authorization servers (a read-only administrator may).`,
      );
    }
    return warn('groups_claim', error instanceof OktaApiError ? error.message : `Could not read the claims of authorization server ${server}: ${describeNetworkError(error)}`);
  }
  const groupClaims = claims.filter((claim) => claim.status === 'ACTIVE' && claim.valueType === 'GROUPS');
  if (groupClaims.length === 0) {
    return pass('groups_claim', `Authorization server ${server} has no groups claim: Gatehouse reads people’s groups from userinfo, else with the API token.`);
  }
  const blocking = groupClaims.filter((claim) => !groupsClaimAvoidable(claim.scopes, requested));
  const first = blocking[0];
  if (first) {
    const asked = new Set(requested);
    const described = blocking
      .map((claim) =>
        claim.scopes.length === 0
          ? `“${claim.name}” is included in any scope`
          : `“${claim.name}” is included with ${claim.scopes.filter((scope) => scope !== GROUPS_SCOPE && asked.has(scope)).join(', ')}, which Gatehouse always asks for`,
      )
      .join('; ');
    return warn(
      'groups_claim',
      `The groups claim of authorization server ${server} comes with every sign-in (${described}), so Okta refuses anyone in more than 100 matching groups, and signing in again without the ${GROUPS_SCOPE} scope cannot avoid it. ${groupsClaimFix(server, first.name)}`,
    );
  }
  const names = groupClaims.map((claim) => `“${claim.name}”`).join(', ');
  const advice = requested.includes(GROUPS_SCOPE)
    ? ''
    : ` Gatehouse does not ask for the ${GROUPS_SCOPE} scope (scopes: ${requested.join(' ')}), so tokens carry no groups and every sign-in reads them with the API token; add ${GROUPS_SCOPE} to the scopes to read them from the ID token.`;
  return pass(
    'groups_claim',
    `The groups claim ${names} of authorization server ${server} comes only with the ${GROUPS_SCOPE} scope: someone in more than 100 groups is signed in again without it, and their groups are read with the API token.${advice}`,
  );
}
