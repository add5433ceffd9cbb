import { DEFAULT_GROUPS_CLAIM, DEFAULT_LOGIN_CLAIM, DEFAULT_SYNC_INTERVAL_SECONDS } from '../../identity/identity-settings-values.js';
import type { IdentitySettingsView } from '../../identity/identity-settings-view.js';
import type { Organization } from '../../model/identity.js';
import { when } from '../format.js';
import { checkboxField, field, formAlert, selectField } from '../forms.js';
import { html, type SafeHtml } from '../html.js';

/**
 * The parts of the Identity Management page: the values to copy into the Okta app, the
 * connection form (for people who may change it) and the same settings as facts (for
 * everyone else). Hints say what each value is and where Okta's Admin Console shows it,
 * because that is where an admin filling this in has to go and look.
 */

const APP_PATH = html`<strong>Applications › Applications › your app</strong>`;

interface OktaValue {
  id: string;
  label: string;
  value: string;
  hint: SafeHtml;
}

/** The addresses an admin enters in the Okta app (from the Admin API's `okta_app`), each with a copy button. */
export function oktaValues(view: IdentitySettingsView, organization: Organization & { login_url: string }, canChangeLoginPath: boolean): SafeHtml {
  const app = view.okta_app;
  const values: OktaValue[] = [
    {
      id: 'sign-in-redirect',
      label: 'Sign-in redirect URI',
      value: app.sign_in_redirect_uri,
      hint: html`In Okta: ${APP_PATH} › <strong>General › Login › Sign-in redirect URIs</strong>. Okta sends people back here after they sign in.`,
    },
    {
      id: 'sign-out-redirect',
      label: 'Sign-out redirect URI',
      value: app.sign_out_redirect_uri,
      hint: html`Same place, <strong>Sign-out redirect URIs</strong>: where Okta sends people after single logout.`,
    },
    {
      id: 'initiate-login',
      label: 'Initiate login URI',
      value: app.initiate_login_uri,
      hint: html`Same place: set <strong>Login initiated by</strong> to <strong>Either Okta or App</strong>, then <strong>Initiate login URI</strong>. The app’s tile in the Okta dashboard opens it.`,
    },
    {
      id: 'backchannel-logout',
      label: 'Back-channel logout URI',
      value: app.backchannel_logout_uri,
      hint: html`Only for a provider that sends OpenID Connect Back-Channel Logout and asks for this address; Okta’s OIDC app settings usually have no such field.`,
    },
    {
      id: 'login-url',
      label: 'Sign-in address for your people',
      value: app.login_url,
      hint: html`Not for Okta: the address people open to sign in to ${organization.name} with Okta.`,
    },
  ];
  return html`<section class="card" aria-labelledby="okta-app-heading">
  <h2 id="okta-app-heading">Values for the Okta app</h2>
  <p>Create the app in Okta’s Admin Console: <strong>Applications › Applications › Create App Integration</strong>, <strong>OIDC - OpenID Connect</strong>, <strong>Web Application</strong>, grant type <strong>Authorization Code</strong>. Then enter these values:</p>
  <dl class="okta-values">
    ${values.map(
      (item) => html`<div class="okta-value">
      <dt id="okta-${item.id}-label">${item.label}</dt>
      <dd>
        <div class="okta-value-row">
          <code id="okta-${item.id}">${item.value}</code>
          <button type="button" class="button copy-button" data-copy="${item.value}" data-copy-status="okta-${item.id}-status" aria-label="Copy the ${item.label.charAt(0).toLowerCase()}${item.label.slice(1)}">Copy</button>
          <span class="copy-status" id="okta-${item.id}-status" role="status"></span>
        </div>
        <p class="hint">${item.hint}</p>
      </dd>
    </div>`,
    )}
  </dl>
  ${canChangeLoginPath ? loginPathForm(organization) : html`<p>Login path: <code>${organization.login_path}</code></p>`}
</section>`;
}

/** The organization's login path, part of every address above, so it is changed here. */
function loginPathForm(organization: Organization): SafeHtml {
  return html`<form class="form login-path-form" id="login-path" data-api="/organizations/${organization.id}" data-method="PATCH">
  ${formAlert('login-path', undefined)}
  ${field({
    form: 'login-path',
    name: 'login_path',
    label: 'Login path',
    value: organization.login_path,
    autocomplete: 'off',
    hint: html`The last part of the addresses above: 3 to 64 letters, digits, <code>-</code> or <code>_</code>. Changing it changes the sign-in address and the sign-out redirect and initiate login URIs: enter the new ones in Okta too.`,
  })}
  <div class="actions"><button type="submit" class="button">Change login path</button></div>
</form>`;
}

function secretHint(secret: IdentitySettingsView['client_secret'], where: SafeHtml): SafeHtml {
  if (!secret) return where;
  return html`${where} <strong>Stored${secret.ends_in ? html`, ending in <code>${secret.ends_in}</code>` : ''}; never shown.</strong> Leave this empty to keep it; type a new one to replace it.`;
}

/**
 * The connection settings form. `identity.js` runs Test Configuration with exactly the
 * values in the form and enables Save only while they are the values that passed; the
 * Admin API refuses to save anything else (IDENTITY_UNTESTED). Secret fields start
 * empty: the API never gives them back, and an empty one keeps the stored value.
 */
export function settingsForm(view: IdentitySettingsView, organizationId: string): SafeHtml {
  const form = 'identity';
  const provider = view.provider ?? 'okta';
  const okta = provider === 'okta';
  return html`<form class="form identity-form" id="${form}" method="post" action="/settings/identity" novalidate
  data-test="/organizations/${organizationId}/identity/test" data-save="/organizations/${organizationId}/identity">
  ${formAlert(form, undefined)}
  ${selectField({
    form,
    name: 'provider',
    label: 'Identity provider',
    value: provider,
    choices: [
      { value: 'okta', label: 'Okta' },
      { value: 'oidc', label: 'Another OpenID Connect provider' },
    ],
  })}
  <div class="provider-fields" data-provider="okta"${okta ? '' : html` hidden`}>
    ${field({
      form,
      name: 'okta_domain',
      label: 'Okta domain',
      value: view.okta_domain ?? '',
      autocomplete: 'off',
      attributes: html`placeholder="dev-123456.okta.com" spellcheck="false"`,
      hint: html`Your Okta org’s address without <code>https://</code>, e.g. <code>dev-123456.okta.com</code>: the menu under your name at the top right of Okta’s Admin Console shows it. Not the <code>-admin</code> address.`,
    })}
    ${field({
      form,
      name: 'authorization_server_id',
      label: 'Authorization server',
      value: view.configured ? (view.authorization_server_id ?? 'org') : 'default',
      autocomplete: 'off',
      attributes: html`spellcheck="false"`,
      hint: html`<code>default</code> (the custom authorization server Okta creates), another server’s ID from <strong>Security › API › Authorization Servers</strong> (e.g. <code>aus1a2b3c4d5e6f7g8h9</code>), or <code>org</code> (or empty) for the org authorization server, whose groups claim needs the <code>groups</code> scope.`,
    })}
  </div>
  <div class="provider-fields" data-provider="oidc"${okta ? html` hidden` : ''}>
    ${field({
      form,
      name: 'issuer',
      label: 'Issuer',
      type: 'url',
      value: okta ? '' : (view.issuer ?? ''),
      autocomplete: 'off',
      hint: 'The issuer URL exactly as the provider writes it in its tokens, e.g. https://login.example.com (its discovery document is at /.well-known/openid-configuration below it).',
    })}
  </div>
  ${field({
    form,
    name: 'client_id',
    label: 'Client ID',
    value: view.client_id ?? '',
    autocomplete: 'off',
    attributes: html`spellcheck="false"`,
    hint: html`In Okta: ${APP_PATH} › <strong>General › Client Credentials › Client ID</strong>.`,
  })}
  ${field({
    form,
    name: 'client_secret',
    label: 'Client secret',
    type: 'password',
    autocomplete: 'new-password',
    hint: secretHint(view.client_secret, html`Same place, <strong>Client secret</strong> (client authentication “Client secret”).`),
  })}
  <div class="provider-fields" data-provider="okta"${okta ? '' : html` hidden`}>
    ${field({
      form,
      name: 'api_token',
      label: 'API token (optional)',
      type: 'password',
      autocomplete: 'new-password',
      hint: secretHint(
        view.api_token,
        html`For group suggestions on Role mapping, the regular re-check of people’s groups, and people in more than 100 groups. In Okta: <strong>Security › API › Tokens › Create token</strong>; the token has the rights of the admin who creates it (a read-only administrator is enough).`,
      ),
    })}
    ${view.api_token
      ? checkboxField({ form, name: 'remove_api_token', label: 'Remove the stored API token', checked: false, hint: 'Group suggestions and the group re-check stop.' })
      : ''}
    ${field({
      form,
      name: 'sync_interval_seconds',
      label: 'Group re-check interval (seconds)',
      type: 'number',
      value: String(view.sync_interval_seconds ?? DEFAULT_SYNC_INTERVAL_SECONDS),
      attributes: html`min="60" max="86400" step="1"`,
      hint: 'With an API token, how often Gatehouse re-reads the groups of people who signed in with Okta, so someone removed from a group loses access without signing in again. 60 to 86400; default 900 (15 minutes).',
    })}
  </div>
  ${field({
    form,
    name: 'scopes',
    label: 'Scopes',
    value: view.scopes?.join(' ') ?? '',
    autocomplete: 'off',
    attributes: html`spellcheck="false" placeholder="openid profile email"`,
    hint: html`Separated by spaces; must include <code>openid</code>. Empty: <code>openid profile email</code>, plus <code>groups</code> on the org authorization server. Add <code>groups</code> when your custom server’s groups claim is included only for that scope (as it should be, so that people in more than 100 groups can sign in).`,
  })}
  ${field({
    form,
    name: 'groups_claim',
    label: 'Groups claim',
    value: view.groups_claim ?? DEFAULT_GROUPS_CLAIM,
    autocomplete: 'off',
    attributes: html`spellcheck="false"`,
    hint: html`The claim that lists a person’s groups. In Okta: <strong>Security › API › Authorization Servers › your server › Claims</strong> (custom server), or ${APP_PATH} › <strong>Sign On › OpenID Connect ID Token › Groups claim</strong> (org server). Default <code>groups</code>.`,
  })}
  ${field({
    form,
    name: 'login_claim',
    label: 'Login claim',
    value: view.login_claim ?? DEFAULT_LOGIN_CLAIM,
    autocomplete: 'off',
    attributes: html`spellcheck="false"`,
    hint: html`The claim with a person’s email, e.g. a custom claim <code>login_email</code> with the value <code>user.email</code>, included <strong>Always</strong>; when it is missing, <code>email</code> is used. Default <code>login_email</code>.`,
  })}
  ${checkboxField({
    form,
    name: 'single_logout',
    label: 'Single logout',
    checked: view.single_logout ?? false,
    hint: 'Signing out of Gatehouse also signs out of Okta. Needs the sign-out redirect URI above in the app.',
  })}
  <div class="actions">
    <button type="button" class="button" id="identity-test">Test Configuration</button>
    <button type="submit" class="button button--primary" id="identity-save" disabled aria-describedby="identity-save-why">Save</button>
  </div>
  <p class="hint" id="identity-save-why">Save is enabled when the values in this form pass Test Configuration; any change needs a new test.</p>
  <section class="test-result" aria-labelledby="identity-test-heading">
    <h3 id="identity-test-heading">Test results</h3>
    <div id="identity-test-result" role="status">
      <p>Not tested on this page yet.${view.last_test ? html` The last test, on ${when(view.last_test.tested_at)}, ${view.last_test.passed ? 'passed' : 'failed'}.` : ''}</p>
    </div>
  </section>
</form>`;
}

function secretFact(secret: IdentitySettingsView['client_secret']): SafeHtml | string {
  if (!secret) return 'not set';
  return html`set${secret.ends_in ? html`, ending in <code>${secret.ends_in}</code>` : ''} (never shown)`;
}

/** The settings for people who may read but not change them: facts, no controls. */
export function settingsFacts(view: IdentitySettingsView): SafeHtml {
  if (!view.configured) return html`<p>Not set up yet. An Organization Admin connects Gatehouse to Okta here.</p>`;
  const okta = view.provider === 'okta';
  return html`<p class="hint">Read only: changing these settings needs the Organization Admin role.</p>
<dl class="facts">
  <dt>Identity provider</dt><dd>${okta ? 'Okta' : 'OpenID Connect'}</dd>
  ${okta
    ? html`<dt>Okta domain</dt><dd><code>${view.okta_domain}</code></dd>
  <dt>Authorization server</dt><dd><code>${view.authorization_server_id ?? 'org'}</code></dd>`
    : ''}
  <dt>Issuer</dt><dd><code>${view.issuer}</code></dd>
  <dt>Client ID</dt><dd><code>${view.client_id}</code></dd>
  <dt>Client secret</dt><dd>${secretFact(view.client_secret)}</dd>
  ${okta ? html`<dt>API token</dt><dd>${secretFact(view.api_token)}</dd>` : ''}
  <dt>Scopes</dt><dd><code>${(view.scopes ?? []).join(' ')}</code></dd>
  <dt>Groups claim</dt><dd><code>${view.groups_claim}</code></dd>
  <dt>Login claim</dt><dd><code>${view.login_claim}</code></dd>
  <dt>Single logout</dt><dd>${view.single_logout ? 'on' : 'off'}</dd>
  ${okta && view.api_token ? html`<dt>Group re-check</dt><dd>every ${view.sync_interval_seconds} seconds</dd>` : ''}
  <dt>Tested</dt><dd>${when(view.tested_at)}</dd>
  <dt>Saved</dt><dd>${when(view.updated_at)}</dd>
</dl>`;
}
