// @ts-check
/**
 * Personal access tokens: create (the value shown once, from the Admin API's answer,
 * with a copy button), revoke (after a confirmation dialog). After either, the list is
 * refreshed from the server-rendered page rather than rebuilt here, so it has one
 * template; the new token's value never leaves this page's memory and the panel that
 * shows it.
 */

import { api, clearErrors, showErrors } from './console.js';

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
function element(id) {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the tokens page has no #${id}`);
  return found;
}

/**
 * Replaces the list with the one the server renders now. Without a list in the answer
 * (the session ended: the answer is the sign-in page), the page is reloaded.
 * @param {string} [announce] said to screen readers once the list is in place
 */
async function refreshList(announce) {
  const response = await fetch('/tokens', { credentials: 'same-origin', headers: { accept: 'text/html' } });
  const fresh = new DOMParser().parseFromString(await response.text(), 'text/html').getElementById('tokens-list');
  if (!response.ok || !fresh) return location.reload();
  element('tokens-list').replaceWith(document.adoptNode(fresh));
  if (announce) element('tokens-list-status').textContent = announce;
}

// Create: the answer is the only place the token's value ever appears.
const createForm = element('token-form');
if (createForm instanceof HTMLFormElement) {
  createForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = createForm.elements.namedItem('name');
    const expiry = createForm.elements.namedItem('expires_in');
    const expires = expiry instanceof HTMLSelectElement ? expiry.value : '';
    const button = createForm.querySelector('button[type="submit"]');
    if (button instanceof HTMLButtonElement) button.disabled = true;
    createForm.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('POST', '/me/tokens', {
        name: name instanceof HTMLInputElement ? name.value : '',
        expires_in: expires === 'never' ? null : Number(expires),
      });
      if (!answer.ok) return showErrors(createForm, answer.body);
      clearErrors(createForm);
      createForm.reset();
      showCreated(String(answer.body.name), String(answer.body.token));
      await refreshList();
    } finally {
      if (button instanceof HTMLButtonElement) button.disabled = false;
      createForm.removeAttribute('aria-busy');
    }
  });
}

/**
 * @param {string} name
 * @param {string} token
 */
function showCreated(name, token) {
  const panel = element('token-created');
  const value = element('token-created-value');
  element('token-created-name').textContent = name;
  element('token-created-copied').textContent = '';
  if (value instanceof HTMLInputElement) value.value = token;
  panel.hidden = false;
  panel.focus();
}

// Copy: the clipboard API where the browser allows it, else the selection and the old copy command.
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!(button instanceof HTMLButtonElement)) return;
  const source = document.getElementById(button.dataset.copy ?? '');
  if (!(source instanceof HTMLInputElement)) return;
  const said = element('token-created-copied');
  try {
    await navigator.clipboard.writeText(source.value);
    said.textContent = 'Copied to the clipboard.';
  } catch {
    source.focus();
    source.select();
    said.textContent = document.execCommand('copy') ? 'Copied to the clipboard.' : 'The browser did not allow copying: the token is selected, press Ctrl+C (⌘C on a Mac).';
  }
});

// Revoke: the dialog asks first; its buttons close it with their value.
const dialog = element('revoke-dialog');
/** @type {{ id: string, name: string } | undefined} */
let pending;

document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-revoke]') : null;
  if (!(button instanceof HTMLButtonElement) || !(dialog instanceof HTMLDialogElement)) return;
  pending = { id: button.dataset.revoke ?? '', name: button.dataset.tokenName ?? '' };
  for (const slot of dialog.querySelectorAll('[data-token-name]')) slot.textContent = pending.name;
  dialog.returnValue = '';
  dialog.showModal();
});

if (dialog instanceof HTMLDialogElement) {
  dialog.addEventListener('close', async () => {
    const token = pending;
    pending = undefined;
    if (!token || dialog.returnValue !== 'revoke') return;
    const answer = await api('DELETE', `/me/tokens/${encodeURIComponent(token.id)}`);
    if (!answer.ok && answer.status !== 404) {
      const alert = element('tokens-list-alert');
      alert.textContent = answer.body?.message ?? `The token could not be revoked (the server answered ${answer.status}).`;
      alert.hidden = false;
      alert.focus();
      return;
    }
    await refreshList(`Token “${token.name}” revoked.`);
    element('tokens-heading').setAttribute('tabindex', '-1');
    element('tokens-heading').focus();
  });
}

// A module (loaded with type="module"): nothing to export, but TypeScript needs the mark to check it as one.
export {};
