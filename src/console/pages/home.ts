import { grantedBy, when } from '../format.js';
import { html, httpUrl } from '../html.js';
import type { ConsolePage } from '../page.js';

/** The organization's home: who is signed in, with which roles and why, and the organization's sign-in set-up. */
export const homePage: ConsolePage = {
  path: '/home',
  title: 'Home',
  render({ signedIn }) {
    const { user, organization } = signedIn;
    const loginUrl = httpUrl(organization.login_url);
    const owner = organization.owner_user_id === user.id;
    return html`<h1>${organization.name}</h1>
<p class="lead">Signed in as <strong>${user.name ?? user.email}</strong>${user.name ? html` (${user.email})` : ''}${owner ? ', the organization’s owner' : ''}.</p>

<section aria-labelledby="roles-heading" class="card">
  <h2 id="roles-heading">Your roles</h2>
  ${user.roles.length === 0
    ? html`<p>You have no role in ${organization.name}.</p>`
    : html`<ul class="roles">${user.roles.map((role) => html`<li><span class="role">${role.role_name}</span> <span class="role-reason">${grantedBy(role)}</span></li>`)}</ul>`}
</section>

<section aria-labelledby="account-heading" class="card">
  <h2 id="account-heading">Your account</h2>
  <dl class="facts">
    <dt>Email</dt><dd>${user.email}</dd>
    <dt>Signs in with</dt><dd>${user.source === 'sso' ? 'Okta (single sign-on)' : 'a password'}</dd>
    <dt>Last sign-in</dt><dd>${when(user.last_sign_in_at)}</dd>
    ${user.source === 'sso' ? html`<dt>Okta groups at last sign-in</dt><dd>${user.okta_groups && user.okta_groups.length > 0 ? user.okta_groups.join(', ') : 'none'}</dd>` : ''}
  </dl>
</section>

<section aria-labelledby="organization-heading" class="card">
  <h2 id="organization-heading">Organization sign-in</h2>
  <dl class="facts">
    <dt>Login path</dt><dd><code>${organization.login_path}</code></dd>
    <dt>Sign-in address</dt><dd>${loginUrl ? html`<a href="${loginUrl}">${loginUrl}</a>` : organization.login_url}</dd>
    <dt>Single sign-on</dt><dd>${organization.sso_enabled ? html`On since ${when(organization.sso_enabled_at)}: people sign in with Okta; only the owner may use a password` : 'Off: people sign in with a password'}</dd>
  </dl>
</section>`;
  },
};
