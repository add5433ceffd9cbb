import { html, type SafeHtml } from './html.js';
import type { RoleAssignment } from '../model/identity.js';

/**
 * Small renderings shared by pages, so the same fact reads the same everywhere in the
 * console.
 */

/** Why a person has a role: the Okta group rule(s) that granted it, or an administrator. */
export function grantedBy(role: RoleAssignment): string {
  if (!role.granted_by || role.granted_by.length === 0) return 'given by an administrator';
  const groups = role.granted_by.map((rule) => `“${rule.group}”`);
  return `from the Okta group${groups.length > 1 ? 's' : ''} ${groups.join(', ')}`;
}

/** Epoch seconds as a `<time>` in UTC: the same text for everyone, the machine-readable value for assistive tools. */
export function when(epochSeconds: number | null | undefined): SafeHtml | string {
  if (epochSeconds === null || epochSeconds === undefined) return 'never';
  const iso = new Date(epochSeconds * 1000).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

/**
 * The console link to the next page of a list, from the Admin API's `next` (its path
 * and query, the filters kept and `offset` set): the same query on `consolePath`, so
 * the page URL stays shareable and works without script. Undefined on the last page.
 */
export function nextPageHref(next: string | null | undefined, consolePath: string): string | undefined {
  if (!next) return undefined;
  const query = next.includes('?') ? next.slice(next.indexOf('?') + 1) : '';
  return query ? `${consolePath}?${new URLSearchParams(query).toString()}` : undefined;
}
