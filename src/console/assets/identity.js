// @ts-check
/**
 * Settings → Identity Management (src/console/pages/identity.ts):
 *
 * - copy buttons for the values to enter in the Okta app;
 * - Test Configuration, which sends exactly the values in the form to
 *   `POST …/identity/test` and shows each check with its result;
 * - Save, enabled only while the form holds the values that last passed. The Admin API
 *   enforces the same (it keeps a fingerprint of every tested set of values and refuses
 *   to save others with GH-IDENTITY-UNTESTED), so this only spares a refused request;
 * - the switch to single sign-on, behind a confirmation dialog.
 */
import { api, clearErrors, showErrors } from './console.js';
import { reloadWithNotice, showAlert, showStoredNotice } from './page-helpers.js';

/** @typedef {{ name: string, passed: boolean, warning?: boolean, detail: string }} Check */
/** @typedef {{ passed: boolean, message: string, checks: Check[] }} TestAnswer */

/** The checks in the order the Admin API runs them, with names people use. */
const CHECKS = [
  { name: 'discovery', label: 'Discovery document' },
  { name: 'jwks', label: 'Signing keys' },
  { name: 'client_credentials', label: 'Client ID and secret' },
  { name: 'api_token', label: 'API token' },
  { name: 'mapped_groups', label: 'Mapped groups' },
  { name: 'groups_claim', label: 'Groups claim (people in over 100 groups)' },
];

showStoredNotice();
wireCopyButtons();
wireLoginPath();
const settings = document.getElementById('identity');
if (settings instanceof HTMLFormElement) wireSettings(settings);
wireSsoSwitch();

// ---------------------------------------------------------------------------------
// Copy buttons

function wireCopyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    if (!(button instanceof HTMLButtonElement)) continue;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    button.addEventListener('click', async () => {
      const value = button.dataset.copy ?? '';
      const status = document.getElementById(button.dataset.copyStatus ?? '');
      let said;
      try {
        // Needs a secure context (https, or localhost); elsewhere the value is selected instead.
        await navigator.clipboard.writeText(value);
        said = 'Copied';
      } catch {
        const shown = button.parentElement?.querySelector('code');
        if (shown) getSelection()?.selectAllChildren(shown);
        said = 'Selected: press Ctrl+C (⌘C) to copy';
      }
      if (!status) return;
      status.textContent = said;
      clearTimeout(timer);
      timer = setTimeout(() => (status.textContent = ''), 5000);
    });
  }
}

// ---------------------------------------------------------------------------------
// Login path

function wireLoginPath() {
  const form = document.getElementById('login-path');
  form?.addEventListener('gatehouse:done', (event) => {
    const organization = /** @type {CustomEvent<{ login_path?: string }>} */ (event).detail;
    reloadWithNotice(`The login path is now “${organization.login_path ?? ''}”. Enter the new sign-out redirect and initiate login URIs in the Okta app.`);
  });
}

// ---------------------------------------------------------------------------------
// Test Configuration and Save

/** @param {HTMLFormElement} form */
function wireSettings(form) {
  const testButton = /** @type {HTMLButtonElement} */ (document.getElementById('identity-test'));
  const saveButton = /** @type {HTMLButtonElement} */ (document.getElementById('identity-save'));
  const why = /** @type {HTMLElement} */ (document.getElementById('identity-save-why'));
  const result = /** @type {HTMLElement} */ (document.getElementById('identity-test-result'));
  /** The JSON of the values that last passed the test, or null. */
  /** @type {string | null} */
  let passed = null;

  function updateSave() {
    const ready = passed !== null && JSON.stringify(settingsBody(form)) === passed;
    saveButton.disabled = !ready;
    why.textContent = ready
      ? 'These values passed Test Configuration: you can save them.'
      : passed !== null
        ? 'A value changed after the test passed: run Test Configuration again before saving.'
        : 'Save is enabled when the values in this form pass Test Configuration; any change needs a new test.';
  }

  function showProvider() {
    const provider = value(form, 'provider');
    for (const group of form.querySelectorAll('[data-provider]')) {
      if (group instanceof HTMLElement) group.hidden = group.dataset.provider !== provider;
    }
  }

  form.addEventListener('input', updateSave);
  form.addEventListener('change', (event) => {
    if (event.target instanceof HTMLSelectElement && event.target.name === 'provider') showProvider();
    updateSave();
  });

  testButton.addEventListener('click', async () => {
    const body = settingsBody(form);
    const tested = JSON.stringify(body);
    clearErrors(form);
    testButton.disabled = true;
    form.setAttribute('aria-busy', 'true');
    result.replaceChildren(paragraph('Testing the configuration…'));
    try {
      const answer = await api('POST', form.dataset.test ?? '', body);
      if (!answer.ok) {
        passed = null;
        result.replaceChildren(paragraph(answer.status === 400 ? 'The test did not run: correct the marked fields.' : `The test did not run: ${answer.body.message ?? `the server answered ${answer.status}`}`));
        showErrors(form, answer.body);
        return;
      }
      /** @type {TestAnswer} */
      const test = answer.body;
      result.replaceChildren(...renderTest(test, body));
      passed = test.passed ? tested : null;
    } finally {
      testButton.disabled = false;
      form.removeAttribute('aria-busy');
      updateSave();
    }
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (saveButton.disabled) return;
    saveButton.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const answer = await api('PUT', form.dataset.save ?? '', settingsBody(form));
      if (answer.ok) return reloadWithNotice(`${answer.body.message ?? 'Identity settings saved'}.`);
      if (answer.body.error_code === 'GH-IDENTITY-UNTESTED') passed = null;
      showErrors(form, answer.body);
    } finally {
      form.removeAttribute('aria-busy');
      updateSave();
    }
  });

  updateSave();
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 */
function value(form, name) {
  const element = form.elements.namedItem(name);
  return element instanceof HTMLInputElement || element instanceof HTMLSelectElement ? element.value.trim() : '';
}

/**
 * @param {HTMLFormElement} form
 * @param {string} name
 */
function checked(form, name) {
  const element = form.elements.namedItem(name);
  return element instanceof HTMLInputElement && element.checked;
}

/**
 * The Admin API body for the form's values, the same for the test and the save (the
 * server compares their fingerprints). Secrets left empty are left out, which keeps the
 * stored ones; empty optional fields are null, which means the default.
 * @param {HTMLFormElement} form
 * @returns {Record<string, unknown>}
 */
function settingsBody(form) {
  const provider = value(form, 'provider');
  /** @type {Record<string, unknown>} */
  const body = { provider };
  if (provider === 'okta') {
    body.okta_domain = value(form, 'okta_domain');
    body.authorization_server_id = value(form, 'authorization_server_id');
    const token = value(form, 'api_token');
    if (checked(form, 'remove_api_token')) body.api_token = null;
    else if (token !== '') body.api_token = token;
    const interval = value(form, 'sync_interval_seconds');
    body.sync_interval_seconds = interval === '' ? null : Number(interval);
  } else {
    body.issuer = value(form, 'issuer');
  }
  body.client_id = value(form, 'client_id');
  const secret = value(form, 'client_secret');
  if (secret !== '') body.client_secret = secret;
  body.scopes = value(form, 'scopes') || null;
  body.groups_claim = value(form, 'groups_claim') || null;
  body.login_claim = value(form, 'login_claim') || null;
  body.single_logout = checked(form, 'single_logout');
  return body;
}

/**
 * The test's summary and every check: passed, passed with a warning (something to change in
 * Okta that does not stop these values from working), failed, not checked (another check it
 * depends on failed), or skipped (it does not apply to these values), each with its message.
 * @param {TestAnswer} test
 * @param {Record<string, unknown>} body
 * @returns {HTMLElement[]}
 */
function renderTest(test, body) {
  const summary = paragraph(test.message);
  summary.className = `test-summary test-summary--${test.passed ? 'pass' : 'fail'}`;
  const list = document.createElement('ul');
  list.className = 'test-checks';
  const hasToken = test.checks.some((check) => check.name === 'api_token');
  const known = new Set(CHECKS.map((check) => check.name));
  const rows = CHECKS.map(({ name, label }) => {
    const check = test.checks.find((candidate) => candidate.name === name);
    if (check) {
      const outcome = check.passed ? (check.warning ? 'warn' : 'pass') : check.detail.startsWith('Not checked') ? 'not-checked' : 'fail';
      return checkItem(label, outcome, check.detail);
    }
    if (name === 'api_token') {
      return checkItem(label, 'skip', body.provider === 'okta' ? 'No API token is set (it is optional).' : 'API tokens are for Okta only.');
    }
    if (name === 'mapped_groups') {
      return checkItem(label, 'skip', hasToken ? 'No Okta group is mapped to a role yet (Role mapping).' : 'Needs an API token to look the groups up in Okta.');
    }
    if (name === 'groups_claim' && body.provider === 'okta') {
      const orgServer = typeof body.authorization_server_id === 'string' && ['', 'org'].includes(body.authorization_server_id.trim().toLowerCase());
      return checkItem(
        label,
        'skip',
        orgServer
          ? 'The org authorization server sends the groups claim only for the groups scope, which Gatehouse leaves out for people in more than 100 groups.'
          : 'Needs an API token to read the authorization server’s claims in Okta.',
      );
    }
    return undefined;
  });
  // A check this page does not know yet is still shown, under its own name.
  const others = test.checks.filter((check) => !known.has(check.name)).map((check) => checkItem(check.name, check.passed ? 'pass' : 'fail', check.detail));
  list.replaceChildren(...[...rows, ...others].filter((row) => row !== undefined));
  return [summary, list];
}

const OUTCOME_TEXT = { pass: 'Passed', warn: 'Warning', fail: 'Failed', 'not-checked': 'Not checked', skip: 'Skipped' };

/**
 * @param {string} label
 * @param {'pass' | 'warn' | 'fail' | 'not-checked' | 'skip'} outcome
 * @param {string} detail
 */
function checkItem(label, outcome, detail) {
  const item = document.createElement('li');
  item.className = `test-check test-check--${outcome}`;
  const badge = document.createElement('span');
  badge.className = 'test-check-outcome';
  badge.textContent = OUTCOME_TEXT[outcome];
  const name = document.createElement('span');
  name.className = 'test-check-name';
  name.textContent = label;
  const message = paragraph(detail);
  message.className = 'test-check-detail';
  item.append(badge, ' ', name, message);
  return item;
}

/** @param {string} text */
function paragraph(text) {
  const element = document.createElement('p');
  element.textContent = text;
  return element;
}

// ---------------------------------------------------------------------------------
// The switch to single sign-on

function wireSsoSwitch() {
  const toggle = document.getElementById('sso-switch');
  const dialog = document.getElementById('sso-dialog');
  const cancel = document.getElementById('sso-cancel');
  const confirm = document.getElementById('sso-confirm');
  const alert = document.getElementById('sso-dialog-alert');
  if (!(toggle instanceof HTMLButtonElement) || !(dialog instanceof HTMLDialogElement) || !(confirm instanceof HTMLButtonElement)) return;

  toggle.addEventListener('click', () => {
    showAlert(alert, '');
    // Modal: the rest of the page is inert, the focus stays in the dialog, Escape cancels.
    dialog.showModal();
  });
  cancel?.addEventListener('click', () => dialog.close('cancel'));
  dialog.addEventListener('close', () => toggle.focus());
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      const answer = await api('POST', confirm.dataset.path ?? '', { confirm: true });
      if (answer.ok) return reloadWithNotice(`${answer.body.message ?? 'Single sign-on is on'}.`);
      showAlert(alert, answer.body.message ?? `The server answered ${answer.status}.`);
      alert?.focus();
    } finally {
      confirm.disabled = false;
    }
  });
}
