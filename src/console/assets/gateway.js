// @ts-check
/**
 * The Gateway pages' script: sends their forms to the Admin API as JSON and puts the
 * API's errors next to their fields; opens the delete confirmations.
 *
 * Forms marked `data-gateway-form` name their request with `data-path` and
 * `data-method`, and where to go afterwards with `data-then` (`{id}` is the saved
 * entity's id). Each control says with `data-kind` how its value is sent:
 *
 *   text, choice  a string (empty: left out, or null with data-empty="null")
 *   list          one value per line → a list
 *   choices       the ticked checkboxes sharing the name → a list
 *   number        a number
 *   boolean       a checkbox → true/false; tristate: a select of "", "true", "false"
 *   secret        write-only: empty keeps a stored secret (sent as `[redacted]`)
 *   ref           an entity's id → {id} (`service`, `consumer`)
 *   scope         `route:ID`, `service:ID` or both, space-separated → {route: {id}}, {service: {id}}
 *
 * Type-checked by `tsc -p src/console/assets`.
 */
import { api, clearErrors, showErrors } from './console.js';

/** @typedef {import('./console.js').ErrorBody} ErrorBody */

/** What the Admin API returns in place of a secret, and reads back as "keep the stored one". */
const REDACTED = '[redacted]';

/**
 * The value an empty control stands for: null (reset the field), [] (an empty list)
 * or undefined (leave the field out).
 * @param {HTMLElement} element
 * @param {HTMLFormElement} form
 */
function emptyValue(element, form) {
  const empty = element.dataset.empty ?? form.dataset.empty;
  if (empty === 'null') return null;
  if (empty === 'list') return [];
  return undefined;
}

/**
 * @param {Record<string, unknown>} target
 * @param {string} name a dotted name: `config.client_id`
 * @param {unknown} value
 */
function setPath(target, name, value) {
  const path = name.split('.');
  /** @type {Record<string, unknown>} */
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = next !== null && typeof next === 'object' && !Array.isArray(next) ? /** @type {Record<string, unknown>} */ (next) : (node[key] = {});
  }
  node[/** @type {string} */ (path[path.length - 1])] = value;
}

/**
 * The value of one control, as the Admin API takes it; undefined leaves the field out.
 * @param {HTMLFormElement} form
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} element
 * @returns {unknown}
 */
function valueOf(form, element) {
  const kind = element.dataset.kind ?? 'text';
  const raw = element.value;
  switch (kind) {
    case 'choices': {
      const ticked = [...form.querySelectorAll(`input[type="checkbox"][name="${CSS.escape(element.name)}"]`)]
        .filter((box) => box instanceof HTMLInputElement && box.checked)
        .map((box) => /** @type {HTMLInputElement} */ (box).value);
      return ticked.length > 0 ? ticked : emptyValue(element, form);
    }
    case 'list': {
      const lines = raw.split('\n').map((line) => line.trim()).filter((line) => line !== '');
      return lines.length > 0 ? lines : emptyValue(element, form);
    }
    case 'number': {
      if (raw.trim() === '') return emptyValue(element, form);
      const number = Number(raw);
      // Not a number: sent as typed, so the Admin API's message names the field.
      return Number.isFinite(number) ? number : raw;
    }
    case 'boolean':
      return element instanceof HTMLInputElement ? element.checked : raw === 'true';
    case 'tristate':
      return raw === '' ? undefined : raw === 'true';
    case 'secret': {
      const clear = form.querySelector(`input[data-clear-secret="${CSS.escape(element.name)}"]`);
      if (clear instanceof HTMLInputElement && clear.checked) return undefined;
      if (raw !== '') return raw;
      return element.dataset.stored === 'true' ? REDACTED : undefined;
    }
    case 'ref':
      return raw === '' ? emptyValue(element, form) : { id: raw };
    default: {
      const text = raw.trim();
      return text === '' ? emptyValue(element, form) : text;
    }
  }
}

/**
 * A gateway form as the Admin API's JSON body.
 * @param {HTMLFormElement} form
 * @returns {Record<string, unknown>}
 */
export function gatewayBody(form) {
  /** @type {Record<string, unknown>} */
  const body = {};
  const seen = new Set();
  for (const element of form.elements) {
    if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement || element instanceof HTMLTextAreaElement)) continue;
    const name = element.name;
    if (!name || name === '_csrf' || element.disabled || seen.has(name)) continue;
    if (element instanceof HTMLInputElement && (element.type === 'submit' || element.type === 'button')) continue;
    seen.add(name);
    if (element.dataset.kind === 'scope') {
      for (const pair of element.value.split(' ')) {
        const [type, id] = pair.split(':');
        if ((type === 'route' || type === 'service') && id) body[type] = { id };
      }
      continue;
    }
    const value = valueOf(form, element);
    if (value !== undefined) setPath(body, name, value);
  }
  return body;
}

/**
 * Kong's errors made ready for `showErrors`: list errors (`{paths: [null, "…"]}`) as
 * one message naming the value; names the form shows under another name
 * (`data-aliases="route:scope"`); and, for refusals that are not schema violations
 * (a name taken, a reference to nothing), only the message, on the field it names:
 * their `fields` hold the offending values, not messages.
 * @param {HTMLFormElement} form
 * @param {ErrorBody} body
 * @returns {ErrorBody}
 */
export function forForm(form, body) {
  const aliases = new Map((form.dataset.aliases ?? '').split(' ').filter(Boolean).map((pair) => /** @type {[string, string]} */ (pair.split(':'))));
  /** @param {string} name */
  const hasSlot = (name) => form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) !== null;
  /**
   * The slot an error goes to: its alias, else its own, else its entity's (`service.id` → `service`).
   * @param {string} name
   */
  const shown = (name) => {
    const entity = name.split('.')[0] ?? name;
    return aliases.get(name) ?? aliases.get(entity) ?? (hasSlot(name) || !hasSlot(entity) ? name : entity);
  };
  if (body.error_code !== 'GH-ADMIN-SCHEMA' || !body.fields || typeof body.fields !== 'object') {
    const { fields, field: named, ...rest } = body;
    // Kong's own refusals name no `field`: their `fields` hold the offending key (`{name: "echo"}`).
    const field = named ?? (fields && typeof fields === 'object' ? Object.keys(fields)[0] : undefined);
    let message = body.message;
    let slot = field ? shown(field) : undefined;
    if (body.error_code === 'GH-ADMIN-UNIQUE' && field) {
      if (field === 'name' || field === 'username' || field === 'custom_id') {
        message = `already used by another one; choose another ${field.replace('_', ' ')}`;
      } else {
        // A plugin's key is its name and where it applies.
        message = 'a plugin of this name already applies there; edit that one instead';
        slot = 'scope';
      }
    }
    if (slot && hasSlot(slot)) return { ...rest, message, field: slot };
    return { ...rest, message: slot && message !== body.message ? `${slot}: ${message}` : body.message };
  }
  /** @type {Record<string, string>} */
  const fields = {};
  /**
   * @param {unknown} value
   * @param {string} name
   */
  const visit = (value, name) => {
    if (Array.isArray(value)) {
      // Elements of a list field are numbered (from 1, as Kong does); `@entity` holds several messages about the whole entity.
      const numbered = name !== '@entity' && (value.length > 1 || value[0] === null);
      const messages = value.map((entry, index) => (entry === null || entry === undefined ? undefined : `${numbered ? `value ${index + 1}: ` : ''}${String(entry)}`));
      fields[shown(name)] = messages.filter((entry) => entry !== undefined).join('; ');
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) visit(inner, name ? `${name}.${key}` : key);
    } else if (value !== null && value !== undefined) {
      const slot = shown(name);
      fields[slot] = fields[slot] ? `${fields[slot]}; ${String(value)}` : String(value);
    }
  };
  visit(body.fields, '');
  return { ...body, field: undefined, fields };
}

/**
 * After `showErrors`: open the collapsed sections holding an error, mark checkbox
 * groups, and when only a group-wide error was found (no control took the focus),
 * move the focus into that group.
 * @param {HTMLFormElement} form
 */
function revealErrors(form) {
  for (const slot of form.querySelectorAll('[data-error-for]')) {
    if (!slot.textContent) continue;
    const section = slot.closest('details');
    if (section instanceof HTMLDetailsElement) section.open = true;
    const group = slot.closest('fieldset');
    if (group && slot.closest('.gw-choices')) for (const box of group.querySelectorAll('input')) box.setAttribute('aria-invalid', 'true');
  }
  const focused = document.activeElement;
  if (focused && form.contains(focused) && focused.getAttribute('role') !== 'alert') return;
  const first = [...form.querySelectorAll('[data-error-for]')].find((slot) => slot.textContent);
  const control = first?.closest('fieldset, .field')?.querySelector('input, select, textarea');
  if (control instanceof HTMLElement) control.focus();
}

/**
 * @param {HTMLFormElement} form
 */
async function submit(form) {
  const buttons = [...form.querySelectorAll('button[type="submit"]')].filter((button) => button instanceof HTMLButtonElement);
  for (const button of buttons) button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const method = (form.dataset.method ?? 'POST').toUpperCase();
    const answer = await api(method, form.dataset.path ?? '', method === 'DELETE' ? undefined : gatewayBody(form));
    if (!answer.ok) {
      showErrors(form, forForm(form, answer.body));
      revealErrors(form);
      return;
    }
    clearErrors(form);
    const id = answer.body && typeof answer.body.id === 'string' ? answer.body.id : '';
    const then = (form.dataset.then ?? '').replace('{id}', encodeURIComponent(id));
    if (then.startsWith('/') && !then.startsWith('//')) location.assign(then);
    else location.reload();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.gatewayForm === undefined) return;
  event.preventDefault();
  void submit(form);
});

document.addEventListener('click', (event) => {
  const target = event.target instanceof Element ? event.target.closest('[data-open-dialog], [data-close-dialog]') : null;
  if (!target) return;
  if (target.hasAttribute('data-close-dialog')) {
    target.closest('dialog')?.close();
    return;
  }
  const dialog = document.getElementById(target.getAttribute('data-open-dialog') ?? '');
  if (!(dialog instanceof HTMLDialogElement)) return;
  const form = dialog.querySelector('form');
  if (form) clearErrors(form);
  dialog.showModal();
  // The safe choice has the focus: Enter right after opening does not delete.
  dialog.querySelector('[data-close-dialog]')?.closest('button')?.focus();
});

// Writes need this script: their controls stay disabled or hidden until it runs.
for (const control of document.querySelectorAll('[data-needs-script]')) {
  if (control instanceof HTMLButtonElement) {
    control.disabled = false;
    control.hidden = false;
  }
}
