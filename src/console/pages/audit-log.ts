import type { AuditRecord } from '../../store/repositories/identity/audit-log.js';
import { when } from '../format.js';
import { field, selectField } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import type { ConsolePage, PageContext } from '../page.js';
import { filterForm, listQuery, pager, readList } from './listing.js';

/**
 * The audit log: who did what, when, to what, with which outcome, newest first. The
 * filter is the Admin API's (`action`, `actor`, `outcome`, `since`, `until`) as a GET
 * form, so a filtered view is a URL one can share. Details are shown as escaped
 * `key: value` lines rather than JSON, nested values indented.
 */

const FILTER_FIELDS = ['action', 'actor', 'outcome', 'since', 'until'] as const;

/** Actions Gatehouse records, offered as suggestions (the field takes any action or prefix). */
const KNOWN_ACTIONS = [
  'sign_in',
  'sign_out',
  'user.',
  'user.create',
  'user.provision',
  'user.update',
  'user.deactivate',
  'user.reactivate',
  'user.roles.change',
  'role.create',
  'role_mapping.',
  'role_mapping.create',
  'role_mapping.delete',
  'identity.',
  'identity.test',
  'identity.settings.update',
  'identity.sso.enable',
  'identity.sync',
  'organization.',
  'organization.update',
  'access_token.',
  'access_token.create',
  'access_token.revoke',
];

/**
 * A time typed as the page shows times (UTC, `2025-01-31 12:00`, or a bare date) as the
 * ISO 8601 the Admin API takes; a bare date is the start of the day for `since` and its
 * end for `until`, as a person means it. Anything else goes as typed: the Admin API
 * says what is wrong with it, on the field.
 */
export function apiTime(value: string, end: 'since' | 'until'): string {
  const typed = value.trim();
  const dateOnly = /^(\d{4}-\d{2}-\d{2})$/.exec(typed);
  if (dateOnly) return `${dateOnly[1]}T${end === 'since' ? '00:00:00' : '23:59:59'}Z`;
  const dateTime = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?$/.exec(typed);
  if (dateTime) return `${dateTime[1]}T${dateTime[2]}${dateTime[3] ?? (end === 'since' ? ':00' : ':59')}Z`;
  return typed;
}

/** Emails and dotted names may wrap before `@` and `.`, so narrow columns break them there rather than anywhere. */
function breakable(text: string): SafeHtml {
  return html`${text.split(/(?=[@._])/).map((part, index) => (index === 0 ? part : html`<wbr>${part}`))}`;
}

function actor(entry: AuditRecord): SafeHtml {
  const label = entry.actor.label ?? entry.actor.id ?? entry.actor.type;
  // A system entry's label names the part of Gatehouse that acted (`sign-in`, `gatehouse CLI`).
  if (entry.actor.type === 'system') return html`Gatehouse<br><span class="role-reason">${label}</span>`;
  if (entry.actor.type === 'bootstrap') return html`the bootstrap token<br><span class="role-reason">${breakable(label)}</span>`;
  return html`${breakable(label)}${entry.actor.type === 'token' ? html`<br><span class="role-reason">with a personal access token</span>` : ''}`;
}

function target(entry: AuditRecord, canReadUsers: boolean): SafeHtml | string {
  if (!entry.target) return html`<span class="role-reason">—</span>`;
  const email = typeof entry.details?.email === 'string' ? entry.details.email : undefined;
  const name = typeof entry.details?.name === 'string' ? entry.details.name : undefined;
  // A sign-in's target is its actor: the actor's label is that user's email.
  const self = entry.actor.id === entry.target.id ? (entry.actor.label ?? undefined) : undefined;
  const label = entry.target.type === 'user' ? (email ?? self ?? entry.target.id) : (name ?? entry.target.id);
  const type = entry.target.type.replace(/_/g, ' ');
  if (entry.target.type === 'user' && canReadUsers) return html`${type} <a href="/users/${entry.target.id}">${breakable(label)}</a>`;
  return html`${type} ${breakable(label)}`;
}

function outcome(entry: AuditRecord): SafeHtml {
  return html`<span class="state ${entry.outcome === 'success' ? 'state--ok' : 'state--off'}">${entry.outcome}</span>${entry.reason ? html`<br><span class="role-reason">${entry.reason}</span>` : ''}`;
}

/** A detail value: times as times, lists as lists, objects as nested `key: value` lines. */
function detailValue(key: string, value: unknown): SafeHtml | string {
  if (value === null || value === undefined) return html`<span class="role-reason">none</span>`;
  if (typeof value === 'number' && key.endsWith('_at')) return when(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return html`<span class="role-reason">none</span>`;
    if (value.every((item) => item === null || typeof item !== 'object')) return value.map(String).join(', ');
    return html`<ol class="kv-list">${value.map((item) => html`<li>${detailValue(key, item)}</li>`)}</ol>`;
  }
  if (typeof value === 'object') return details(value as Record<string, unknown>);
  return String(value);
}

function details(values: Record<string, unknown> | null): SafeHtml {
  if (!values || Object.keys(values).length === 0) return html`<span class="role-reason">—</span>`;
  return html`<dl class="kv">${Object.entries(values).map(([key, value]) => html`<div><dt>${key.replace(/_/g, ' ')}:</dt> <dd>${detailValue(key, value)}</dd></div>`)}</dl>`;
}

function filterFields(form: string, values: Record<(typeof FILTER_FIELDS)[number], string>, errors: Record<string, string> | undefined): SafeHtml {
  const timeHint = 'UTC, e.g. 2025-01-31 14:30';
  return html`${field({
    form,
    name: 'action',
    label: 'Action',
    value: values.action,
    hint: html`Exact, or a prefix ending in a dot: <code>user.</code>`,
    error: errors?.action,
    attributes: html`list="${form}-actions" autocomplete="off"`,
  })}
<datalist id="${form}-actions">${KNOWN_ACTIONS.map((action) => html`<option value="${action}"></option>`)}</datalist>
${field({ form, name: 'actor', label: 'Actor', value: values.actor, hint: 'Email or user id', error: errors?.actor })}
${selectField({
  form,
  name: 'outcome',
  label: 'Outcome',
  value: values.outcome,
  error: errors?.outcome,
  choices: [
    { value: '', label: 'Success or failure' },
    { value: 'success', label: 'Success' },
    { value: 'failure', label: 'Failure' },
  ],
})}
${field({ form, name: 'since', label: 'From', value: values.since, hint: timeHint, error: errors?.since })}
${field({ form, name: 'until', label: 'Until', value: values.until, hint: timeHint, error: errors?.until })}`;
}

export const auditLogPage: ConsolePage = {
  path: '/audit-log',
  title: 'Audit log',
  permission: 'audit:read',
  async render({ signedIn, admin, query }: PageContext) {
    const values = {
      action: query.action ?? '',
      actor: query.actor ?? '',
      outcome: query.outcome ?? '',
      since: query.since ?? '',
      until: query.until ?? '',
    };
    // The console's own query keeps what was typed (shown back in the form, kept in the
    // paging links); the Admin API gets the times as ISO 8601.
    const params = listQuery(query, values);
    const apiParams = new URLSearchParams(params);
    for (const end of ['since', 'until'] as const) if (apiParams.has(end)) apiParams.set(end, apiTime(apiParams.get(end)!, end));
    const { list, errors } = await readList<AuditRecord>(admin, `/organizations/${encodeURIComponent(signedIn.organization.id)}/audit-log?${apiParams.toString()}`, FILTER_FIELDS);
    const filtered = FILTER_FIELDS.some((name) => values[name].trim() !== '');
    const entries = list?.data ?? [];
    const canReadUsers = signedIn.permissions.has('users:read');
    // `next` carries the API's form of the times; the console's links keep the typed ones.
    const next = list?.next ? `/audit-log?${withOffset(params, list.next).toString()}` : null;

    return html`<h1>Audit log</h1>
<p class="lead">What happened in ${signedIn.organization.name}, newest first: sign-ins, changes to users, roles, identity settings and tokens.</p>
${filterForm({ id: 'audit-filter', path: '/audit-log', label: 'Filter the audit log', filtered, errors, fields: filterFields('audit-filter', values, errors?.fields) })}
${list
  ? entries.length === 0
    ? html`<p>${filtered ? 'No entry matches these filters.' : 'Nothing has been recorded yet.'}</p>`
    : html`<div class="listing-scroll" role="region" aria-labelledby="audit-caption" tabindex="0">
<table class="listing">
  <caption id="audit-caption" class="visually-hidden">Audit log entries, newest first</caption>
  <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action and outcome</th><th scope="col">Target</th><th scope="col">Details</th></tr></thead>
  <tbody>
  ${entries.map(
    (entry) => html`<tr data-action="${entry.action}">
    <td class="when">${when(entry.created_at)}</td>
    <td class="long">${actor(entry)}</td>
    <th scope="row"><code>${breakable(entry.action)}</code><br>${outcome(entry)}</th>
    <td class="long">${target(entry, canReadUsers)}</td>
    <td class="details long">${details(entry.details)}</td>
  </tr>`,
  )}
  </tbody>
</table>
</div>
${pager('/audit-log', next, params, 'More entries')}`
  : ''}`;
  },
};

/** The console's query with the cursor of the Admin API's `next`. */
function withOffset(params: URLSearchParams, next: string): URLSearchParams {
  const offset = new URLSearchParams(next.slice(next.indexOf('?') + 1)).get('offset');
  const out = new URLSearchParams(params);
  out.delete('offset');
  if (offset) out.set('offset', offset);
  return out;
}

export const AUDIT_LOG_PAGES: readonly ConsolePage[] = [auditLogPage];
