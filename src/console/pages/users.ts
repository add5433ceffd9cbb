import type { Role, User } from '../../model/identity.js';
import { grantedBy, when } from '../format.js';
import { field, fieldId, formAlert, selectField } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import type { ConsolePage, PageContext } from '../page.js';
import { AdminCallError, errorBodyOf } from '../upstream.js';
import { filterForm, listQuery, pager, readList } from './listing.js';

/**
 * Organization → Users: everyone who has an account, how they sign in and why they
 * have each role. Reads work for any role; people with `users:write` get, on a user's
 * own page, deactivate/reactivate and (for native users) the roles form. An SSO
 * user's roles are not editable anywhere: they are recomputed from the person's Okta
 * groups at every sign-in, so a hand edit would be silently undone (the Admin API
 * refuses it for that reason).
 */

const FILTER_FIELDS = ['q', 'status', 'source'] as const;

/** Okta groups shown inline before the rest fold away (some people are in hundreds). */
const GROUPS_SHOWN = 5;

export const SSO_ROLES_REASON =
  'Roles of people who sign in with Okta come from their Okta groups and are re-synced at every sign-in. To change them, change the Role mapping or the person’s Okta groups.';

function displayName(user: User): string {
  return user.name ?? user.email;
}

function status(user: User): SafeHtml {
  return user.status === 'active'
    ? html`<span class="state state--ok">Active</span>`
    : html`<span class="state state--off">Deactivated</span>${user.deactivated_at ? html` <span class="role-reason">since ${when(user.deactivated_at)}</span>` : ''}`;
}

function source(user: User): string {
  return user.source === 'sso' ? 'Okta' : 'Password';
}

/** The mark on a deactivated user's roles and groups: kept as they were at deactivation, giving no permission. */
function asOfDeactivation(user: User): SafeHtml {
  if (user.roles_as_of === null) return html``;
  return html`<span class="as-of" data-as-of="${String(user.roles_as_of)}">as of deactivation, ${when(user.roles_as_of)}</span>`;
}

function roles(user: User): SafeHtml {
  if (user.roles.length === 0) return html`${asOfDeactivation(user)}<span class="role-reason">No role</span>`;
  return html`${asOfDeactivation(user)}<ul class="roles">${user.roles.map((role) => html`<li><span class="role">${role.role_name}</span> <span class="role-reason">${grantedBy(role)}</span></li>`)}</ul>`;
}

/** The Okta groups seen at the last sign-in (or sync); a long list folds into a disclosure. */
function groups(user: User): SafeHtml | string {
  if (user.source !== 'sso') return html`<span class="role-reason">— <span class="visually-hidden">not applicable: signs in with a password</span></span>`;
  const seen = user.okta_groups;
  if (!seen) return html`<span class="role-reason">not known yet</span>`;
  if (seen.length === 0) return html`${asOfDeactivation(user)}<span class="role-reason">none</span>`;
  if (seen.length <= GROUPS_SHOWN) return html`${asOfDeactivation(user)}${seen.join(', ')}`;
  return html`${asOfDeactivation(user)}${seen.slice(0, GROUPS_SHOWN).join(', ')}
<details class="more-groups"><summary>All ${seen.length} groups</summary><p>${seen.join(', ')}</p></details>`;
}

/** Why a deactivated user's roles are shown, and what a reactivation does with them. */
function frozenRolesNotice(user: User): SafeHtml {
  const name = displayName(user);
  return html`<p class="notice" id="roles-as-of">These are the roles ${name} had when deactivated${user.source === 'sso' ? ', with the Okta groups seen then' : ''}. They give no permission while the account is deactivated${
    user.source === 'sso'
      ? html`, and a reactivation does not bring them back: the roles come fresh from the Okta groups at the next sign-in or group sync.`
      : html`; a reactivation gives them back, and they can be edited then.`
  }</p>`;
}

function notes(user: User, signedIn: PageContext['signedIn']): SafeHtml {
  const marks = [
    signedIn.organization.owner_user_id === user.id ? 'owner' : '',
    signedIn.user.id === user.id ? 'you' : '',
  ].filter(Boolean);
  return marks.length > 0 ? html` <span class="role-reason">(${marks.join(', ')})</span>` : html``;
}

export const usersPage: ConsolePage = {
  path: '/users',
  title: 'Users',
  permission: 'users:read',
  async render({ signedIn, admin, query }) {
    const org = signedIn.organization.id;
    const filters = { q: query.q ?? '', status: query.status ?? '', source: query.source ?? '' };
    const params = listQuery(query, filters);
    const { list, errors } = await readList<User>(admin, `/organizations/${encodeURIComponent(org)}/users?${params.toString()}`, FILTER_FIELDS);
    const filtered = FILTER_FIELDS.some((name) => filters[name].trim() !== '');
    const form = 'user-filter';

    const filterFields = html`${field({ form, name: 'q', label: 'Email or name contains', type: 'search', value: filters.q, error: errors?.fields?.q })}
${selectField({
  form,
  name: 'status',
  label: 'Status',
  value: filters.status,
  error: errors?.fields?.status,
  choices: [
    { value: '', label: 'Any status' },
    { value: 'active', label: 'Active' },
    { value: 'deactivated', label: 'Deactivated' },
  ],
})}
${selectField({
  form,
  name: 'source',
  label: 'Signs in with',
  value: filters.source,
  error: errors?.fields?.source,
  choices: [
    { value: '', label: 'Okta or password' },
    { value: 'sso', label: 'Okta (SSO)' },
    { value: 'native', label: 'Password (native)' },
  ],
})}`;

    const users = list?.data ?? [];
    const anySso = signedIn.organization.sso_enabled || users.some((user) => user.source === 'sso');
    return html`<h1>Users</h1>
<p class="lead">Everyone with an account in ${signedIn.organization.name}: how they sign in, their roles and the rule that granted each.</p>
${filterForm({ id: form, path: '/users', label: 'Filter users', filtered, errors, fields: filterFields })}
${anySso ? html`<p class="notice">${SSO_ROLES_REASON} <a href="/role-mapping">Role mapping</a></p>` : ''}
${list
  ? users.length === 0
    ? html`<p>${filtered ? 'No user matches these filters.' : 'No users yet.'}</p>`
    : html`<p class="list-count">${users.length === 1 ? '1 user' : `${users.length} users`}${filtered ? ' match these filters' : ''}${list.next ? ' on this page' : ''}.</p>
<div class="listing-scroll" role="region" aria-labelledby="users-caption" tabindex="0">
<table class="listing">
  <caption id="users-caption" class="visually-hidden">Users${filtered ? ' matching the filters' : ''}</caption>
  <thead><tr><th scope="col">User</th><th scope="col">Status</th><th scope="col">Signs in with</th><th scope="col">Roles</th><th scope="col">Okta groups at last sign-in</th><th scope="col">Last sign-in</th></tr></thead>
  <tbody>
  ${users.map(
    (user) => html`<tr data-user="${user.email}">
    <th scope="row"><a href="/users/${user.id}">${displayName(user)}</a>${notes(user, signedIn)}${user.name ? html`<br><span class="role-reason">${user.email}</span>` : ''}</th>
    <td>${status(user)}</td>
    <td>${source(user)}</td>
    <td>${roles(user)}</td>
    <td>${groups(user)}</td>
    <td class="when">${when(user.last_sign_in_at)}</td>
  </tr>`,
  )}
  </tbody>
</table>
</div>
${pager('/users', list.next, params, 'More users')}`
  : ''}`;
  },
};

/** One role of the roles form: its checkbox, its name, and what it allows (the role's description). */
function roleChoice(role: Role, checked: boolean, form: string, index: number): SafeHtml {
  const id = `${form}-role-${index}`;
  return html`<div class="field field--check">
  <input type="checkbox" id="${id}" name="roles" value="${role.id}"${checked ? html` checked` : ''}${role.description ? html` aria-describedby="${id}-hint"` : ''}>
  <label for="${id}">${role.name}</label>
  ${role.description ? html`<p class="hint" id="${id}-hint">${role.description}</p>` : ''}
</div>`;
}

function rolesForm(user: User, orgRoles: readonly Role[], apiPath: string, isOwner: boolean): SafeHtml {
  const form = 'roles-form';
  const held = new Set(user.roles.map((role) => role.role_id));
  const errorId = fieldId(form, 'roles') + '-error';
  const hintId = fieldId(form, 'roles') + '-hint';
  return html`<form id="${form}" class="form" data-user-roles="${apiPath}">
  ${formAlert(form, undefined)}
  <fieldset class="choices" aria-describedby="${hintId} ${errorId}">
    <legend>Roles of ${displayName(user)}</legend>
    <p class="hint" id="${hintId}">${isOwner ? 'The owner always keeps Organization Admin. ' : ''}A change signs ${displayName(user)} out everywhere, so the new roles apply at once.</p>
    ${orgRoles.map((role, index) => roleChoice(role, held.has(role.id), form, index))}
    <p class="field-error" id="${errorId}" data-error-for="roles"></p>
  </fieldset>
  <div class="actions"><button type="submit" class="button button--primary">Save roles</button></div>
</form>`;
}

function statusForm(user: User, apiPath: string, self: boolean): SafeHtml {
  const form = 'status-form';
  const deactivate = user.status === 'active';
  const hintId = `${form}-hint`;
  const hint = deactivate
    ? `${displayName(user)} is signed out everywhere at once and their personal access tokens are revoked for good; their sign-ins are refused until an administrator reactivates them.${self ? ' This is your own account: you will be signed out.' : ''}`
    : `${displayName(user)} may sign in again${user.source === 'sso' ? ' with Okta, and gets roles from their Okta groups at that sign-in or the next group sync' : ', with the roles shown'}; their old personal access tokens stay revoked, so they make new ones.`;
  return html`<form id="${form}" class="form" data-user-status="${apiPath}">
  ${formAlert(form, undefined)}
  <input type="hidden" name="status" value="${deactivate ? 'deactivated' : 'active'}">
  <p class="hint" id="${hintId}">${hint}</p>
  <div class="actions"><button type="submit" class="button${deactivate ? ' button--danger' : ' button--primary'}" aria-describedby="${hintId} ${form}-alert">${deactivate ? 'Deactivate user' : 'Reactivate user'}</button></div>
</form>`;
}

/** One user: every fact the list shows, every group, and the edit forms for people who may edit. */
export const userPage: ConsolePage = {
  path: '/users/:id',
  title: 'User',
  permission: 'users:read',
  section: '/users',
  scripts: ['users.js'],
  async render({ signedIn, admin, params }) {
    const org = encodeURIComponent(signedIn.organization.id);
    const apiPath = `/organizations/${org}/users/${encodeURIComponent(params.id ?? '')}`;
    const answer = await admin.call('GET', apiPath);
    if (answer.status === 404) {
      return html`<p><a href="/users">All users</a></p>
<h1>User not found</h1>
<div class="notice notice--error" role="alert"><p>${signedIn.organization.name} has no user with this id. It may be a mistyped link; the list of users has everyone.</p></div>`;
    }
    if (answer.status !== 200) throw new AdminCallError(answer.status, errorBodyOf(answer));
    const user = answer.body as User;
    const isOwner = signedIn.organization.owner_user_id === user.id;
    const self = signedIn.user.id === user.id;
    const canWrite = signedIn.permissions.has('users:write');
    const ownPath = `/organizations/${org}/users/${encodeURIComponent(user.id)}`;
    const orgRoles = canWrite && user.source === 'native' && user.roles_as_of === null ? (await admin.get<{ data: Role[] }>(`/organizations/${org}/roles`)).data : [];

    return html`<p><a href="/users">All users</a></p>
<h1>${displayName(user)}</h1>
<p class="lead">${user.email} · ${user.status === 'active' ? 'active' : 'deactivated'} · ${user.source === 'sso' ? 'signs in with Okta' : 'signs in with a password'}${isOwner ? ' · the organization’s owner' : ''}${self ? ' · you' : ''}</p>

<section aria-labelledby="account-heading" class="card">
  <h2 id="account-heading">Account</h2>
  <dl class="facts">
    <dt>Email</dt><dd>${user.email}</dd>
    <dt>Name</dt><dd>${user.name ?? 'not given'}</dd>
    <dt>Status</dt><dd>${status(user)}</dd>
    <dt>Signs in with</dt><dd>${user.source === 'sso' ? 'Okta (single sign-on)' : 'a password (a native account)'}</dd>
    <dt>Last sign-in</dt><dd>${when(user.last_sign_in_at)}</dd>
    <dt>Account created</dt><dd>${when(user.created_at)}</dd>
    ${user.source === 'sso' ? html`<dt>Okta groups at last sign-in</dt><dd>${user.okta_groups ? asOfDeactivation(user) : ''}${user.okta_groups && user.okta_groups.length > 0 ? user.okta_groups.join(', ') : user.okta_groups ? 'none' : 'not known yet'}</dd>` : ''}
  </dl>
  <p><a href="/audit-log?actor=${encodeURIComponent(user.id)}">What ${displayName(user)} did, in the audit log</a></p>
</section>

<section aria-labelledby="roles-heading" class="card">
  <h2 id="roles-heading">Roles</h2>
  ${roles(user)}
  ${user.roles_as_of !== null
    ? frozenRolesNotice(user)
    : user.source === 'sso'
      ? html`<p class="notice" id="sso-roles-reason">These roles are read-only here. ${SSO_ROLES_REASON} <a href="/role-mapping">Role mapping</a></p>`
      : canWrite
        ? rolesForm(user, orgRoles, ownPath, isOwner)
        : ''}
</section>

${canWrite
  ? html`<section aria-labelledby="access-heading" class="card">
  <h2 id="access-heading">Access</h2>
  ${isOwner && user.status === 'active'
    ? html`<p>The owner of the organization cannot be deactivated: the owner always keeps access, and password sign-in, so the organization can never lock itself out.</p>`
    : statusForm(user, ownPath, self)}
</section>`
  : ''}`;
  },
};

export const USERS_PAGES: readonly ConsolePage[] = [usersPage, userPage];
