import type { AccessToken } from '../../store/repositories/identity/access-tokens.js';
import { when } from '../format.js';
import { field, formAlert, selectField } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import type { ConsolePage } from '../page.js';

/**
 * Personal access tokens: a program calls the Admin API with one as the person who
 * made it, with their roles. The token itself exists only in the answer to its
 * creation (the store keeps its SHA-256), so the page shows it once, filled in by
 * `tokens.js` from that answer: it is never part of any page the server renders, and
 * a reload cannot show it again.
 */

type TokenState = 'active' | 'expired' | 'revoked';
type TokenRow = AccessToken & { state: TokenState };

const DAY = 24 * 3600;

/** Expiry choices (seconds from now); the Admin API's default is 90 days, its maximum a year. */
const EXPIRY_CHOICES = [
  { value: String(7 * DAY), label: '7 days' },
  { value: String(30 * DAY), label: '30 days' },
  { value: String(90 * DAY), label: '90 days' },
  { value: String(365 * DAY), label: '1 year' },
  { value: 'never', label: 'Never (until revoked)' },
];

function state(token: TokenRow): SafeHtml {
  if (token.state === 'revoked') return html`<span class="state state--off">Revoked</span> <span class="role-reason">${when(token.revoked_at)}</span>`;
  if (token.state === 'expired') return html`<span class="state state--off">Expired</span>`;
  return html`<span class="state state--ok">Active</span>`;
}

/** The list, also fetched by `tokens.js` after a change (it replaces `#tokens-list` with this page's). */
function tokenList(tokens: readonly TokenRow[]): SafeHtml {
  return html`<section aria-labelledby="tokens-heading" class="card" id="tokens-list">
  <h2 id="tokens-heading">Your tokens</h2>
  ${tokens.length === 0
    ? html`<p>You have no personal access tokens.</p>`
    : html`<div class="listing-scroll" role="region" aria-labelledby="tokens-heading" tabindex="0">
<table class="listing">
  <thead><tr><th scope="col">Name</th><th scope="col">Ends in</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
  <tbody>
  ${tokens.map(
    (token) => html`<tr data-token="${token.id}">
    <th scope="row">${token.name}</th>
    <td><code>…${token.token_hint}</code></td>
    <td>${when(token.created_at)}</td>
    <td>${when(token.last_used_at)}</td>
    <td>${token.expires_at === null ? 'never' : when(token.expires_at)}</td>
    <td>${state(token)}</td>
    <td>${token.state === 'active'
      ? html`<button type="button" class="button button--small" data-revoke="${token.id}" data-token-name="${token.name}" aria-label="Revoke ${token.name}">Revoke</button>`
      : ''}</td>
  </tr>`,
  )}
  </tbody>
</table>
</div>`}
  <p class="form-alert" id="tokens-list-alert" role="alert" tabindex="-1" hidden></p>
  <p class="visually-hidden" id="tokens-list-status" role="status"></p>
</section>`;
}

function createForm(): SafeHtml {
  const form = 'token-form';
  return html`<section aria-labelledby="create-heading" class="card">
  <h2 id="create-heading">Create a token</h2>
  <noscript><p class="notice notice--error">Creating and revoking tokens needs JavaScript: the new token is shown once, by the page’s script, from the Admin API’s answer.</p></noscript>
  <form id="${form}" class="form" data-token-create novalidate>
    ${formAlert(form, undefined)}
    ${field({ form, name: 'name', label: 'Name', hint: 'What the token is for, so you can tell it apart later: “deploy pipeline”, “terraform”', required: true, autocomplete: 'off', attributes: html`maxlength="100"` })}
    ${selectField({ form, name: 'expires_in', label: 'Expires after', value: String(90 * DAY), choices: EXPIRY_CHOICES, hint: 'A token that expires limits the harm if it leaks.' })}
    <div class="actions"><button type="submit" class="button button--primary">Create token</button></div>
  </form>
</section>`;
}

/** Where tokens.js puts a new token's value: empty and hidden in every rendered page. */
function createdPanel(): SafeHtml {
  return html`<section aria-labelledby="token-created-heading" class="card once" id="token-created" tabindex="-1" hidden>
  <h2 id="token-created-heading">Your new token</h2>
  <p><strong>Copy it now: you will not see it again.</strong> Gatehouse keeps only a fingerprint of it; if it is lost, revoke it and create another.</p>
  <div class="field">
    <label for="token-created-value">Token “<span id="token-created-name"></span>”</label>
    <div class="copy-row">
      <input id="token-created-value" type="text" readonly value="" aria-describedby="token-created-use token-created-copied" autocomplete="off" spellcheck="false">
      <button type="button" class="button" data-copy="token-created-value">Copy</button>
    </div>
    <p class="hint" id="token-created-use">Send it as <code>Authorization: Bearer &lt;token&gt;</code> to the Admin API.</p>
    <p class="hint" id="token-created-copied" role="status"></p>
  </div>
</section>`;
}

function revokeDialog(): SafeHtml {
  return html`<dialog id="revoke-dialog" class="confirm" aria-labelledby="revoke-dialog-heading" aria-describedby="revoke-dialog-text">
  <form method="dialog">
    <h2 id="revoke-dialog-heading">Revoke “<span data-token-name></span>”?</h2>
    <p id="revoke-dialog-text">Programs using this token are refused from now on. This cannot be undone: a revoked token never works again.</p>
    <div class="actions">
      <button type="submit" value="revoke" class="button button--danger">Revoke token</button>
      <button type="submit" value="cancel" class="button" autofocus>Cancel</button>
    </div>
  </form>
</dialog>`;
}

export const tokensPage: ConsolePage = {
  path: '/tokens',
  title: 'Personal access tokens',
  scripts: ['tokens.js'],
  async render({ admin }) {
    const tokens = (await admin.get<{ data: TokenRow[] }>('/me/tokens')).data;
    return html`<h1>Personal access tokens</h1>
<p class="lead">A token lets a program call the Admin API as you, with your roles, until it expires or you revoke it. Deactivating your account stops your tokens too.</p>
${createForm()}
${createdPanel()}
${tokenList(tokens)}
${revokeDialog()}`;
  },
};

export const TOKENS_PAGES: readonly ConsolePage[] = [tokensPage];
