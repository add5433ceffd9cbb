import type { RoleGrant } from '../model/identity.js';

/**
 * Okta group → role rules, applied the same way at every sign-in and by the
 * background sync. Group names compare exactly (Okta's names are case-sensitive
 * and a near match must not grant anything). A role may come from several groups
 * and a group may give several roles; every granted role keeps the rules that
 * granted it, so "why does Bob have Gateway Admin?" always has an answer.
 */

export interface MappingRule {
  id: string;
  group: string;
  role_id: string;
}

export function rolesFromGroups(groups: readonly string[], rules: readonly MappingRule[]): RoleGrant[] {
  const member = new Set(groups);
  const grants = new Map<string, RoleGrant>();
  for (const rule of rules) {
    if (!member.has(rule.group)) continue;
    let grant = grants.get(rule.role_id);
    if (!grant) grants.set(rule.role_id, (grant = { role_id: rule.role_id, granted_by: [] }));
    grant.granted_by.push({ rule_id: rule.id, group: rule.group });
  }
  return [...grants.values()];
}

/** What changed between two sets of grants (for the audit log). */
export function diffRoles(before: readonly string[], after: readonly RoleGrant[]): { added: string[]; removed: string[] } {
  const now = new Set(after.map((grant) => grant.role_id));
  const was = new Set(before);
  return {
    added: [...now].filter((role) => !was.has(role)),
    removed: [...was].filter((role) => !now.has(role)),
  };
}
