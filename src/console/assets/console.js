// @ts-check
/**
 * The console's one script module. Pages are server-rendered HTML and work without
 * it; pages that change things without a reload use these helpers:
 *
 *   import { api, showErrors } from './console.js';   // the same URL the layout loaded: one instance
 *   const answer = await api('POST', '/me/tokens', { name: 'ci' });
 *   if (!answer.ok) showErrors(form, answer.body);
 *
 * or, with no code at all, a form marked `data-api`:
 *
 *   <form data-api="/me/tokens" data-method="POST" data-then="reload"> … </form>
 *
 * `api` calls the Admin API through the console (`/api/*`, same origin) as the
 * signed-in person and adds the CSRF token to every state-changing request;
 * `showErrors` puts the Admin API's errors next to the fields they concern (the slots
 * `forms.ts` renders) and the rest in the form's alert.
 *
 * Type-checked by `tsc -p src/console/assets` (test/console/assets.test.ts).
 */

/**
 * @typedef {{ message?: string, error_code?: string, field?: string, fields?: Record<string, unknown>, [key: string]: unknown }} ErrorBody
 * @typedef {{ ok: boolean, status: number, body: any }} ApiAnswer
 */

/** The page's CSRF token (the layout writes it into `<meta name="csrf-token">`). */
export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta instanceof HTMLMetaElement ? meta.content : '';
}

/**
 * Calls the Admin API as the signed-in person. Never throws: a network failure is an
 * answer with status 0 and a message to show.
 * @param {string} method
 * @param {string} path an Admin API path, such as `/me/tokens`
 * @param {unknown} [body] sent as JSON
 * @returns {Promise<ApiAnswer>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['x-csrf-token'] = csrfToken();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    return { ok: false, status: 0, body: { message: 'The console cannot be reached; check the connection and try again.' } };
  }
  const text = await response.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { message: `The server answered ${response.status} with something that is not JSON.` };
  }
  if (response.status === 401) parsed = { ...parsed, message: 'Your session has ended. Reload the page to sign in again.' };
  return { ok: response.ok, status: response.status, body: parsed };
}

/**
 * Kong's nested `fields` with dotted names: `{config: {client_id: "…"}}` → `{"config.client_id": "…"}`.
 * @param {Record<string, unknown>} fields
 * @param {string} [prefix]
 * @returns {Record<string, string>}
 */
export function flattenFields(fields, prefix = '') {
  /** @type {Record<string, string>} */
  const out = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenFields(/** @type {Record<string, unknown>} */ (value), name));
    else out[name] = Array.isArray(value) ? value.map(String).join('; ') : String(value);
  }
  return out;
}

/**
 * The form's alert element (`#FORMID-alert`, rendered by `formAlert`).
 * @param {HTMLFormElement} form
 */
function alertOf(form) {
  return form.querySelector('[role="alert"]');
}

/**
 * Removes every error shown on a form.
 * @param {HTMLFormElement} form
 */
export function clearErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) input.removeAttribute('aria-invalid');
  for (const wrapper of form.querySelectorAll('.field--invalid')) wrapper.classList.remove('field--invalid');
  const alert = alertOf(form);
  if (alert instanceof HTMLElement) {
    alert.textContent = '';
    alert.hidden = true;
  }
}

/**
 * Shows an Admin API error body on a form: each field error in its slot (the input
 * marked `aria-invalid`), everything else in the form's alert, then moves the focus to
 * the first field in error (or to the alert) so keyboard and screen reader users land
 * on it.
 * @param {HTMLFormElement} form
 * @param {ErrorBody} body
 */
export function showErrors(form, body) {
  clearErrors(form);
  const fields = body.fields && typeof body.fields === 'object' ? flattenFields(body.fields) : {};
  // Kong's unique-violation answer names the clashing values, not what is wrong with them.
  if (body.error_code === 'GH-ADMIN-UNIQUE') for (const name of Object.keys(fields)) fields[name] = `“${fields[name]}” is already used; choose another.`;
  if (body.field && body.message && !Object.hasOwn(fields, body.field)) fields[body.field] = body.message;
  /** @type {string[]} */
  const elsewhere = [];
  /** @type {HTMLElement | undefined} */
  let first;
  for (const [name, message] of Object.entries(fields)) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
    const input = form.elements.namedItem(name);
    if (!slot) {
      elsewhere.push(`${name}: ${message}`);
      continue;
    }
    slot.textContent = message;
    slot.closest('.field')?.classList.add('field--invalid');
    if (input instanceof HTMLElement) {
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
  }
  const placedAll = Object.keys(fields).length > 0 && elsewhere.length === 0;
  const alert = alertOf(form);
  if (alert instanceof HTMLElement) {
    alert.textContent = placedAll ? 'Correct the marked fields.' : [body.message ?? 'The request failed.', ...elsewhere].join(' ');
    alert.hidden = false;
  }
  (first ?? (alert instanceof HTMLElement ? alert : undefined))?.focus();
}

/**
 * A form's fields as the JSON body the Admin API takes: dotted names nest
 * (`config.client_id`), checkboxes are booleans, number inputs numbers (null when
 * empty), repeated names lists; the CSRF field and buttons are left out.
 * @param {HTMLFormElement} form
 * @returns {Record<string, unknown>}
 */
export function formJson(form) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const element of form.elements) {
    if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement)) continue;
    if (!element.name || element.name === '_csrf' || element.disabled) continue;
    /** @type {unknown} */
    let value = element.value;
    if (element instanceof HTMLInputElement) {
      if (element.type === 'submit' || element.type === 'button' || element.type === 'reset') continue;
      if (element.type === 'checkbox') value = element.checked;
      else if (element.type === 'radio') {
        if (!element.checked) continue;
      } else if (element.type === 'number') value = element.value === '' ? null : element.valueAsNumber;
    } else if (element instanceof HTMLSelectElement && element.multiple) {
      value = [...element.selectedOptions].map((option) => option.value);
    }
    const path = element.name.split('.');
    /** @type {Record<string, unknown>} */
    let target = out;
    for (const key of path.slice(0, -1)) {
      const next = target[key];
      target = next !== null && typeof next === 'object' && !Array.isArray(next) ? /** @type {Record<string, unknown>} */ (next) : (target[key] = {});
    }
    const last = /** @type {string} */ (path[path.length - 1]);
    if (last in target && element.type !== 'checkbox') {
      const existing = target[last];
      target[last] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    } else target[last] = value;
  }
  return out;
}

/**
 * Submits `form[data-api]` forms to the Admin API: `data-method` (default POST),
 * `data-then` = `reload` or a console path to go to on success; otherwise the form
 * receives a `gatehouse:done` event with the answer's body. Errors are shown on the
 * form. Submit buttons are disabled while the request runs, so a double press sends once.
 */
document.addEventListener('submit', async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.api === undefined) return;
  event.preventDefault();
  const buttons = [...form.querySelectorAll('button[type="submit"], button:not([type])')].filter((button) => button instanceof HTMLButtonElement);
  for (const button of buttons) button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const answer = await api((form.dataset.method ?? 'POST').toUpperCase(), form.dataset.api, formJson(form));
    if (!answer.ok) return showErrors(form, answer.body);
    clearErrors(form);
    const then = form.dataset.then;
    if (then === 'reload') location.reload();
    else if (then && then.startsWith('/') && !then.startsWith('//')) location.assign(then);
    else form.dispatchEvent(new CustomEvent('gatehouse:done', { detail: answer.body, bubbles: true }));
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute('aria-busy');
  }
});
