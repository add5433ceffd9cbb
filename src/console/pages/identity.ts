import type { IdentitySettingsView } from '../../identity/identity-settings-view.js';
import type { RoleMapping } from '../../model/identity.js';
import { when } from '../format.js';
import { formAlert } from '../forms.js';
import { html, httpUrl, type SafeHtml } from '../html.js';
import type { ConsolePage, PageContext } from '../page.js';
import { oktaValues, settingsFacts, settingsForm } from './identity-settings.js';

/**
 * Settings → Identity Management: the values to enter in the Okta app (with copy
 * buttons), the connection settings (Test Configuration, then Save, driven by
 * `assets/identity.js`), and the one-way switch to single sign-on. People whose roles
 * cannot change the settings see them as facts, with no control that could change
 * them; the Admin API refuses such changes anyway.
 */
export const identityPage: ConsolePage = {
  path: '/settings/identity',
  title: 'Identity Management',
  permission: 'identity:read',
  scripts: ['identity.js'],
  async render(context) {
    const { signedIn, admin } = context;
    const organization = signedIn.organization;
    const base = `/organizations/${organization.id}`;
    const view = await admin.get<IdentitySettingsView>(`${base}/identity`);
    const canWrite = signedIn.permissions.has('identity:write');
    // The switch needs a rule; a failed read only loses that hint (the API checks again).
    const mappings = canWrite ? await mappingCount(context, base) : undefined;

    return html`<h1>Identity Management</h1>
<p class="lead">How people of ${organization.name} sign in: the Okta app Gatehouse signs them in with, and the switch to single sign-on.</p>
<div id="page-notice" role="status"></div>

${oktaValues(view, organization, signedIn.permissions.has('organization:write'))}

<section class="card" aria-labelledby="connection-heading">
  <h2 id="connection-heading">Connection to Okta</h2>
  ${canWrite ? settingsForm(view, organization.id) : settingsFacts(view)}
</section>

${ssoSection(view, context, canWrite, mappings)}`;
  },
};

async function mappingCount({ admin }: PageContext, base: string): Promise<number | undefined> {
  const answer = await admin.call('GET', `${base}/role-mappings`);
  if (answer.status !== 200) return undefined;
  return ((answer.body as { data?: RoleMapping[] }).data ?? []).length;
}

/**
 * Single sign-on: on (with its date; it cannot be turned off, so there is no switch),
 * or off with the switch and the confirmation dialog that says what changes.
 */
function ssoSection(view: IdentitySettingsView, { signedIn }: PageContext, canWrite: boolean, mappings: number | undefined): SafeHtml {
  const organization = signedIn.organization;
  if (view.sso_enabled) {
    return html`<section class="card" aria-labelledby="sso-heading">
  <h2 id="sso-heading">Single sign-on</h2>
  <p class="sso-state sso-state--on"><strong>On</strong> since ${when(view.sso_enabled_at)}.</p>
  <p>Everyone but the owner signs in with Okta; passwords of other accounts do not work. Single sign-on cannot be turned off.</p>
</section>`;
  }
  if (!canWrite) {
    return html`<section class="card" aria-labelledby="sso-heading">
  <h2 id="sso-heading">Single sign-on</h2>
  <p class="sso-state"><strong>Off</strong>: people sign in with a password. An Organization Admin can turn it on here.</p>
</section>`;
  }
  const blocker = !view.configured
    ? html`Save connection settings that passed Test Configuration first.`
    : mappings === 0
      ? html`Map at least one Okta group to a role first, on <a href="/role-mapping">Role mapping</a>: without a rule nobody could sign in with Okta.`
      : undefined;
  const loginUrl = httpUrl(organization.login_url);
  return html`<section class="card" aria-labelledby="sso-heading">
  <h2 id="sso-heading">Single sign-on</h2>
  <div class="sso-switch">
    <button type="button" id="sso-switch" class="sso-switch-control" role="switch" aria-checked="false" aria-describedby="sso-switch-hint"${blocker ? html` disabled` : ''}>
      <span class="sso-switch-track" aria-hidden="true"><span class="sso-switch-thumb"></span></span>
      <span class="sso-switch-label">Sign in with Okta</span>
    </button>
    <p class="hint" id="sso-switch-hint">Off: people sign in with a password. ${blocker ?? 'Turning it on asks you to confirm: it cannot be undone.'}</p>
  </div>
</section>
<dialog class="confirm" id="sso-dialog" aria-labelledby="sso-dialog-title" aria-describedby="sso-dialog-text">
  <h2 id="sso-dialog-title">Turn on single sign-on?</h2>
  <div id="sso-dialog-text">
    <p><strong>This cannot be undone.</strong> From then on:</p>
    <ul>
      <li>Everyone but the owner signs in with Okta${loginUrl ? html`, at <code>${loginUrl}</code>` : ''}; only the owner keeps password sign-in.</li>
      <li>Passwords of the other accounts stop working. Their people sign in with Okta instead, and get an account and roles from their Okta groups${mappings !== undefined ? html` (${mappings} ${mappings === 1 ? 'rule' : 'rules'} on Role mapping)` : ''}.</li>
      <li>Someone in no mapped group cannot sign in.</li>
      <li>A password account with the same email as someone’s Okta account keeps that person from signing in with Okta.</li>
    </ul>
  </div>
  ${formAlert('sso-dialog', undefined)}
  <div class="actions">
    <button type="button" class="button" id="sso-cancel" autofocus>Cancel</button>
    <button type="button" class="button button--primary" id="sso-confirm" data-path="/organizations/${organization.id}/identity/enable">Turn on single sign-on</button>
  </div>
</dialog>`;
}

/** Settings → Identity Management. */
export const IDENTITY_PAGES: readonly ConsolePage[] = [identityPage];
