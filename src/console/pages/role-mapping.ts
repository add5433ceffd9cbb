import { ROLE_PERMISSIONS, type AdminPermission } from '../../admin/auth.js';
import type { IdentitySettingsView } from '../../identity/identity-settings-view.js';
import { BUILTIN_ROLES, type Role, type RoleMapping } from '../../model/identity.js';
import { when } from '../format.js';
import { field, formAlert, selectField } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import type { ConsolePage, PageContext } from '../page.js';

/**
 * Role mapping: the group → role rules that give people who sign in with Okta their
 * roles, and the organization's roles (built-in and custom). `assets/role-mapping.js`
 * sends the forms (`data-path`), removes rules after a confirmation, fills the group
 * suggestions from Okta and says whose roles a change touched. People without `roles:write` see the tables
 * only; the Admin API refuses their writes anyway.
 */
export const roleMappingPage: ConsolePage = {
  path: '/role-mapping',
  title: 'Role mapping',
  permission: 'roles:read',
  scripts: ['role-mapping.js'],
  async render(context) {
    const { signedIn, admin } = context;
    const base = `/organizations/${signedIn.organization.id}`;
    const [mappings, roles] = await Promise.all([
      admin.get<{ data: RoleMapping[] }>(`${base}/role-mappings`),
      admin.get<{ data: Role[] }>(`${base}/roles`),
    ]);
    const canWrite = signedIn.permissions.has('roles:write');
    return html`<h1>Role mapping</h1>
<p class="lead">People who sign in with Okta get their roles from their Okta groups: each rule gives the members of one group one role. Roles are worked out again at every sign-in, and at once for everyone when a rule is added or removed.</p>
<div id="page-notice" role="status"></div>

<section class="card" aria-labelledby="rules-heading">
  <h2 id="rules-heading">Rules</h2>
  ${rulesTable(mappings.data, canWrite, base)}
  ${canWrite ? await addRuleForm(context, base, roles.data) : ''}
</section>

<section class="card" aria-labelledby="roles-heading">
  <h2 id="roles-heading">Roles</h2>
  ${rolesTable(roles.data)}
  ${canWrite ? createRoleForm(base) : ''}
</section>
${canWrite ? removeDialog() : ''}`;
  },
};

function rulesTable(mappings: readonly RoleMapping[], canWrite: boolean, base: string): SafeHtml {
  if (mappings.length === 0) {
    return html`<p>No rules yet. Until there is one, nobody can sign in with Okta, and single sign-on cannot be turned on.</p>`;
  }
  return html`<div class="listing-scroll"><table class="listing rules-table">
  <caption class="visually-hidden">Okta group → role rules</caption>
  <thead><tr><th scope="col">Okta group</th><th scope="col">Role</th><th scope="col">Created</th>${canWrite ? html`<th scope="col"><span class="visually-hidden">Actions</span></th>` : ''}</tr></thead>
  <tbody>
    ${mappings.map(
      (mapping) => html`<tr>
      <td><code>${mapping.group}</code></td>
      <td><span class="role">${mapping.role_name}</span></td>
      <td>${when(mapping.created_at)}</td>
      ${canWrite
        ? html`<td class="row-actions"><button type="button" class="button button--small" data-remove-rule="${base}/role-mappings/${mapping.id}" data-group="${mapping.group}" data-role="${mapping.role_name}" aria-label="Remove the rule ${mapping.group} → ${mapping.role_name}">Remove</button></td>`
        : ''}
    </tr>`,
    )}
  </tbody>
</table></div>`;
}

/**
 * Why group names cannot be suggested, or undefined when they can: suggestions come from
 * Okta's Management API, so they need Okta with an API token.
 */
async function suggestionsUnavailable({ admin }: PageContext, base: string): Promise<string | undefined> {
  const answer = await admin.call('GET', `${base}/identity`);
  if (answer.status !== 200) return 'Suggestions from Okta are unavailable: the identity settings could not be read.';
  const view = answer.body as IdentitySettingsView;
  if (!view.configured) return 'Suggestions from Okta need the identity settings with an API token (Identity Management).';
  if (view.provider !== 'okta') return 'Suggestions come from Okta only; this organization uses another OpenID Connect provider.';
  if (!view.api_token) return 'Suggestions from Okta need an API token: add one in Identity Management.';
  return undefined;
}

async function addRuleForm(context: PageContext, base: string, roles: readonly Role[]): Promise<SafeHtml> {
  const form = 'add-rule';
  const unavailable = await suggestionsUnavailable(context, base);
  return html`<form class="form inline-form" id="${form}" method="post" data-path="${base}/role-mappings"${unavailable ? '' : html` data-suggest="${base}/identity/groups"`}>
  <h3>Add a rule</h3>
  ${formAlert(form, undefined)}
  <div class="inline-fields">
    ${field({
      form,
      name: 'group',
      label: 'Okta group',
      autocomplete: 'off',
      describedBy: `${form}-suggestions`,
      attributes: html`list="${form}-groups" spellcheck="false"`,
      hint: 'The group’s name exactly as Okta spells it, letter case included.',
    })}
    ${selectField({
      form,
      name: 'role',
      label: 'Role',
      value: roles.find((role) => role.name === BUILTIN_ROLES.viewer)?.id,
      choices: roles.map((role) => ({ value: role.id, label: role.builtin ? `${role.name} (built-in)` : role.name })),
    })}
  </div>
  <datalist id="${form}-groups"></datalist>
  <p class="hint" id="${form}-suggestions" role="status">${unavailable ?? 'Type to see matching Okta groups.'}</p>
  <div class="actions"><button type="submit" class="button button--primary">Add rule</button></div>
</form>`;
}

/** What a built-in role allows, in words (the permissions list comes from the Admin API's own table). */
const BUILT_IN_ALLOWS: Record<string, string> = {
  [BUILTIN_ROLES.organizationAdmin]: 'Everything in the organization: identity settings, roles and rules, users, the audit log, and the gateway.',
  [BUILTIN_ROLES.gatewayAdmin]: 'The gateway (services, routes, plugins, consumers); reads everything else in the organization.',
  [BUILTIN_ROLES.viewer]: 'Reads everything in the organization; changes nothing.',
};

function rolesTable(roles: readonly Role[]): SafeHtml {
  return html`<div class="listing-scroll"><table class="listing roles-table">
  <caption class="visually-hidden">Roles of the organization</caption>
  <thead><tr><th scope="col">Role</th><th scope="col">Kind</th><th scope="col">What it allows</th></tr></thead>
  <tbody>
    ${roles.map((role) => {
      const permissions: readonly AdminPermission[] = ROLE_PERMISSIONS[role.name] ?? [];
      return html`<tr>
      <th scope="row"><span class="role">${role.name}</span></th>
      <td>${role.builtin ? 'Built-in' : 'Custom'}</td>
      <td>${role.builtin
        ? html`${BUILT_IN_ALLOWS[role.name] ?? ''}${permissions.length ? html` <span class="permissions">(${permissions.map((permission, index) => html`${index ? ', ' : ''}<code>${permission}</code>`)})</span>` : ''}`
        : html`${role.description ? html`<span class="role-description">${role.description}</span>` : ''}Nothing in Gatehouse itself: for your applications behind the gateway (the <code>sso</code> plugin’s <code>roles_required</code>, and the <code>X-Gatehouse-Roles</code> header).`}</td>
    </tr>`;
    })}
  </tbody>
</table></div>`;
}

function createRoleForm(base: string): SafeHtml {
  const form = 'create-role';
  return html`<form class="form inline-form" id="${form}" method="post" data-path="${base}/roles">
  <h3>Create a custom role</h3>
  ${formAlert(form, undefined)}
  <div class="inline-fields">
    ${field({ form, name: 'name', label: 'Name', autocomplete: 'off', hint: 'Unique in the organization, e.g. Billing reader.' })}
    ${field({ form, name: 'description', label: 'Description (optional)', autocomplete: 'off', hint: 'What the role is for, shown in this table.' })}
  </div>
  <div class="actions"><button type="submit" class="button">Create role</button></div>
</form>`;
}

/** One confirmation dialog for every Remove button; the script fills in the rule. */
function removeDialog(): SafeHtml {
  return html`<dialog class="confirm" id="remove-rule-dialog" aria-labelledby="remove-rule-title" aria-describedby="remove-rule-text">
  <h2 id="remove-rule-title">Remove this rule?</h2>
  <div id="remove-rule-text">
    <p>Members of <code id="remove-rule-group"></code> will no longer get <strong id="remove-rule-role"></strong> from it.</p>
    <p>Roles are worked out again at once: anyone who loses a role is signed out, and someone left in no mapped group cannot sign in with Okta.</p>
  </div>
  ${formAlert('remove-rule', undefined)}
  <div class="actions">
    <button type="button" class="button" id="remove-rule-cancel" autofocus>Cancel</button>
    <button type="button" class="button button--danger" id="remove-rule-confirm">Remove rule</button>
  </div>
</dialog>`;
}

/** Role mapping. */
export const ROLE_MAPPING_PAGES: readonly ConsolePage[] = [roleMappingPage];
