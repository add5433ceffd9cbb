/**
 * Okta's 100-group limit, and the one way Gatehouse gets past it. Okta refuses a token whose
 * groups claim would hold more than 100 groups (okta-notes, "The 100-group limit"); Gatehouse
 * then signs the person in again without the `groups` scope and reads their groups from the
 * Management API. That helps only where the claim comes with the `groups` scope alone (a custom
 * authorization server's claim set to "Include in: The following scopes: groups", or the org
 * server's, which always needs the scope). A claim included in "Any scope", or in another scope
 * Gatehouse asks for, comes back whatever Gatehouse asks: nobody over the limit can sign in.
 *
 * Sign-in (what to do on Okta's error) and Test Configuration (spotting the set-up before it
 * bites) both decide with these functions, so they cannot disagree.
 */

export const GROUPS_SCOPE = 'groups';

/** The scopes Gatehouse asks for when it signs someone in again after Okta's groups-limit error. */
export function withoutGroupsScope(scopes: readonly string[]): string[] {
  return scopes.filter((scope) => scope !== GROUPS_SCOPE);
}

/** Whether leaving out the `groups` scope can make Okta leave out this claim (`claimScopes` `[]`: "Any scope"). */
export function groupsClaimAvoidable(claimScopes: readonly string[], requestedScopes: readonly string[]): boolean {
  if (claimScopes.length === 0) return false;
  const stillAsked = new Set(withoutGroupsScope(requestedScopes));
  return !claimScopes.some((scope) => stillAsked.has(scope));
}

/** What an Okta admin changes so that people in more than 100 groups can sign in. */
export function groupsClaimFix(authorizationServer: string, claim: string): string {
  return (
    `In Okta: Security › API › Authorization Servers › ${authorizationServer} › Claims › ${claim} › Edit: set “Include in” to ` +
    `“The following scopes” and choose ${GROUPS_SCOPE} (first add a ${GROUPS_SCOPE} scope under Scopes if there is none); ` +
    `then add ${GROUPS_SCOPE} to Gatehouse’s scopes. Gatehouse then signs people in more than 100 groups in again without ` +
    `that scope and reads their groups with the API token.`
  );
}
