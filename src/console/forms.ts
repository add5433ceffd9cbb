import { CSRF_FIELD } from './csrf.js';
import { html, type SafeHtml } from './html.js';
import type { ErrorBody } from './upstream.js';
import { ADMIN_UNIQUE } from '../store/error-codes.js';

/**
 * Form markup with errors where they belong: each field has its label, an optional
 * hint and an error slot wired with `aria-describedby`/`aria-invalid`, so a screen
 * reader announces the error with the field; errors that concern no single field go
 * to the form's alert at the top. The same ids are used by `console.js`
 * (`showErrors`) when a script submits a form to the Admin API, so a page can render
 * an error server-side or client-side with one markup.
 */

/** Errors split into one per field (dotted names: `config.client_id`) and the rest. */
export interface FormErrors {
  form?: SafeHtml | string | undefined;
  fields?: Record<string, string>;
}

/** Kong's nested `fields` flattened to dotted names: `{config: {client_id: "…"}}` → `{"config.client_id": "…"}`. */
export function flattenFields(fields: Record<string, unknown>, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(fields)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) Object.assign(out, flattenFields(value as Record<string, unknown>, name));
    else out[name] = Array.isArray(value) ? value.map(String).join('; ') : String(value);
  }
  return out;
}

/**
 * An Admin API error body as form errors: schema violations on their fields, an error
 * that names a `field` on it, the message on the form otherwise. Errors for fields the
 * form does not show must not vanish: pass the form's field names and those go to the
 * form's alert with their name.
 */
export function formErrorsOf(body: ErrorBody, shown: readonly string[], fallback = 'The request failed.'): FormErrors {
  const fields = body.fields && typeof body.fields === 'object' ? flattenFields(body.fields) : {};
  // Kong's unique-violation answer names the clashing values, not what is wrong with them.
  if (body.error_code === ADMIN_UNIQUE) for (const name of Object.keys(fields)) fields[name] = `“${fields[name]}” is already used; choose another.`;
  if (body.field && body.message && !Object.hasOwn(fields, body.field)) fields[body.field] = body.message;
  const placed: Record<string, string> = {};
  const elsewhere: string[] = [];
  for (const [name, message] of Object.entries(fields)) {
    if (shown.includes(name)) placed[name] = message;
    else elsewhere.push(`${name}: ${message}`);
  }
  // When every error sits on a field shown, the alert only points at them (an error summary).
  const allPlaced = Object.keys(placed).length > 0 && elsewhere.length === 0;
  return { form: allPlaced ? 'Correct the marked fields.' : [body.message ?? fallback, ...elsewhere].join(' '), fields: placed };
}

export interface FieldOptions {
  /** The form's id: element ids are `${form}-${name}`, unique on the page. */
  form: string;
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'url' | 'number' | 'search';
  value?: string | undefined;
  hint?: string | SafeHtml | undefined;
  error?: string | undefined;
  required?: boolean;
  autocomplete?: string;
  autofocus?: boolean;
  /** More ids describing the input, e.g. the form's alert when the focus is put on this field after a form-level error. */
  describedBy?: string | undefined;
  /** Extra attributes written in this code base (e.g. `inputmode="url"`). */
  attributes?: SafeHtml;
}

export function fieldId(form: string, name: string): string {
  return `${form}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

/** The label, hint and error slot around a control; `control` gets the id and the ARIA wiring. */
function fieldShell(options: FieldOptions, control: (id: string, aria: SafeHtml) => SafeHtml, labelAfter = false): SafeHtml {
  const id = fieldId(options.form, options.name);
  const describedBy = [options.describedBy ?? '', options.hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
  const aria = html`aria-describedby="${describedBy}"${options.error ? html` aria-invalid="true"` : ''}${options.required ? html` required` : ''}${options.autofocus ? html` autofocus` : ''}${options.attributes ? html` ${options.attributes}` : ''}`;
  const label = html`<label for="${id}">${options.label}</label>`;
  return html`<div class="field${labelAfter ? ' field--check' : ''}${options.error ? ' field--invalid' : ''}">
  ${labelAfter ? html`${control(id, aria)} ${label}` : label}
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${labelAfter ? '' : control(id, aria)}
  <p class="field-error" id="${id}-error" data-error-for="${options.name}">${options.error ?? ''}</p>
</div>`;
}

export function field(options: FieldOptions): SafeHtml {
  return fieldShell(
    options,
    (id, aria) =>
      html`<input id="${id}" name="${options.name}" type="${options.type ?? 'text'}" value="${options.value ?? ''}" ${aria}${options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ''}>`,
  );
}

/** A multi-line text field (lists: one value per line). */
export function textareaField(options: Omit<FieldOptions, 'type'> & { rows?: number }): SafeHtml {
  return fieldShell(options, (id, aria) => html`<textarea id="${id}" name="${options.name}" rows="${options.rows ?? 3}" ${aria}>${options.value ?? ''}</textarea>`);
}

/** A checkbox with its label beside it; `console.js`'s `formJson` sends it as a boolean. */
export function checkboxField(options: Omit<FieldOptions, 'type' | 'value'> & { checked: boolean }): SafeHtml {
  return fieldShell(options, (id, aria) => html`<input id="${id}" name="${options.name}" type="checkbox" ${aria}${options.checked ? html` checked` : ''}>`, true);
}

/** A drop-down of fixed choices. */
export function selectField(options: Omit<FieldOptions, 'type'> & { choices: ReadonlyArray<{ value: string; label: string }> }): SafeHtml {
  return fieldShell(
    options,
    (id, aria) =>
      html`<select id="${id}" name="${options.name}" ${aria}>${options.choices.map(
        (choice) => html`<option value="${choice.value}"${choice.value === options.value ? html` selected` : ''}>${choice.label}</option>`,
      )}</select>`,
  );
}

/** The form-level error region: `role="alert"` so a message that appears is announced. */
export function formAlert(form: string, message: FormErrors['form']): SafeHtml {
  return html`<div class="form-alert" id="${form}-alert" role="alert" tabindex="-1"${message ? '' : html` hidden`}>${message ?? ''}</div>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}
