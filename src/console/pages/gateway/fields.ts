import type { PluginFormField } from '../../../gateway/plugin.js';
import { checkboxField, field as inputField, fieldId, selectField, textareaField } from '../../forms.js';
import { html, type SafeHtml } from '../../html.js';

/**
 * Form fields of the gateway pages, rendered from declarative descriptions: the
 * plugins' own (`PluginDefinition.form`) and the entities' (entity-forms.ts) share
 * one shape, so one renderer serves them all. Each control carries `data-kind`, which
 * `gateway.js` reads to turn the form into the Admin API's JSON (lists one value per
 * line, numbers, booleans, write-only secrets).
 */

export type FormField = PluginFormField;

export interface RenderOptions {
  form: string;
  /** Prefix of the input names: `config` for plugin fields (`config.issuer`). */
  prefix?: string;
  /** The value shown: the stored one on an edit, the default on a new entity. */
  value: unknown;
  /** Left empty, send null (edits of entities reset a field that way) rather than leave it out. */
  emptyMeansNull?: boolean;
}

export function inputName(field: FormField, prefix?: string): string {
  return prefix ? `${prefix}.${field.key}` : field.key;
}

/** Help text with `code` spans (the only markup help texts use), the config key last. */
export function helpText(field: FormField, name: string): SafeHtml {
  const parts = field.help.split('`').map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : part));
  return html`${parts} <span class="gw-key">(<code>${name}</code>)</span>`;
}

function label(field: FormField): string {
  return `${field.label}${field.unit ? ` (${field.unit})` : ''}${field.required ? ' (required)' : ''}`;
}

function asList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** The one value of a single-line field: a list keeps its first entry (Gatehouse uses only that one). */
function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  return Array.isArray(value) ? String(value[0] ?? '') : String(value);
}

function dataAttributes(kind: string, empty: 'null' | 'list' | undefined, extra?: SafeHtml): SafeHtml {
  return html`data-kind="${kind}"${empty ? html` data-empty="${empty}"` : ''}${extra ? html` ${extra}` : ''}`;
}

/** One field as a labelled control with its hint and error slot (forms.ts markup). */
export function renderField(field: FormField, options: RenderOptions): SafeHtml {
  const name = inputName(field, options.prefix);
  const base = { form: options.form, name, label: label(field), hint: helpText(field, name) };
  const empty = field.emptyMeansNull || options.emptyMeansNull ? 'null' : undefined;
  const placeholder = field.placeholder ? html`placeholder="${field.placeholder}"` : undefined;
  switch (field.kind) {
    case 'text':
    case 'url':
      return inputField({
        ...base,
        type: field.kind,
        value: asText(options.value),
        attributes: dataAttributes('text', empty, html`${placeholder ?? ''} spellcheck="false"`),
      });
    case 'secret':
      return secretField(field, options, name);
    case 'list':
    case 'url-list':
      return textareaField({ ...base, value: asList(options.value).join('\n'), attributes: dataAttributes('list', empty, html`spellcheck="false"`) });
    case 'number':
      return inputField({
        ...base,
        type: 'number',
        value: asText(options.value),
        attributes: dataAttributes('number', empty, html`inputmode="numeric" step="1"`),
      });
    case 'boolean':
      if (field.default === undefined) {
        // No default: "not set" is a third state with its own meaning (the help text says which).
        const current = options.value === true ? 'true' : options.value === false ? 'false' : '';
        return selectField({
          ...base,
          value: current,
          choices: [
            { value: '', label: 'Not set' },
            { value: 'true', label: 'Yes' },
            { value: 'false', label: 'No' },
          ],
          attributes: dataAttributes('tristate', undefined),
        });
      }
      return checkboxField({ ...base, checked: options.value === true, attributes: dataAttributes('boolean', undefined) });
    case 'choice': {
      const choices = (field.options ?? []).map((option) => ({ value: option, label: option }));
      return selectField({
        ...base,
        value: asText(options.value),
        choices: field.default === undefined ? [{ value: '', label: 'Not set' }, ...choices] : choices,
        attributes: dataAttributes('choice', empty),
      });
    }
    case 'choices':
      return choicesField(field, options, name);
  }
}

/**
 * A write-only field: never filled in. When a secret is stored, leaving the field
 * empty keeps it (the form sends `[redacted]`, which the Admin API reads as "keep the
 * stored secret"), and a checkbox removes it.
 */
function secretField(field: FormField, options: RenderOptions, name: string): SafeHtml {
  const stored = asText(options.value) !== '';
  const id = fieldId(options.form, name);
  const hint = html`${helpText(field, name)}${stored ? html` <strong>A secret is stored: leave this empty to keep it.</strong>` : ''}`;
  return html`${inputField({
    form: options.form,
    name,
    label: label(field),
    type: 'password',
    value: '',
    hint,
    autocomplete: 'new-password',
    attributes: dataAttributes('secret', undefined, html`data-stored="${stored ? 'true' : 'false'}" spellcheck="false"`),
  })}${stored
    ? html`<div class="field field--check gw-secret-clear">
  <input id="${id}-clear" type="checkbox" data-clear-secret="${name}">
  <label for="${id}-clear">Remove the stored ${field.label.toLowerCase()}</label>
</div>`
    : ''}`;
}

/** Any of fixed options: a group of checkboxes sharing the input name, sent as a list. */
function choicesField(field: FormField, options: RenderOptions, name: string): SafeHtml {
  const id = fieldId(options.form, name);
  const checked = new Set(asList(options.value));
  // With a default, nothing ticked is a choice of its own (an empty list); without one, "not set".
  const empty = field.default === undefined ? undefined : 'list';
  return html`<fieldset class="field gw-choices" id="${id}" aria-describedby="${id}-hint ${id}-error">
  <legend>${label(field)}</legend>
  <p class="hint" id="${id}-hint">${helpText(field, name)}</p>
  <div class="gw-choice-list">${(field.options ?? []).map(
    (option, index) => html`<label class="gw-choice"><input type="checkbox" id="${id}-${index}" name="${name}" value="${option}" ${dataAttributes('choices', empty)}${checked.has(option) ? html` checked` : ''}> <code>${option}</code></label>`,
  )}</div>
  <p class="field-error" id="${id}-error" data-error-for="${name}"></p>
</fieldset>`;
}

/** A stored value as text for the read-only pages. */
export function displayValue(field: FormField, value: unknown): SafeHtml | string {
  if (field.kind === 'secret') return asText(value) !== '' ? 'Stored (hidden)' : 'Not set';
  if (value === undefined || value === null) return html`<span class="gw-muted">Not set</span>`;
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  if (Array.isArray(value)) return value.length === 0 ? html`<span class="gw-muted">None</span>` : html`${value.map((item, index) => html`${index > 0 ? ', ' : ''}<code>${String(item)}</code>`)}`;
  if (typeof value === 'number') return `${value}${field.unit ? ` ${field.unit}` : ''}`;
  return html`<code>${String(value)}</code>`;
}
