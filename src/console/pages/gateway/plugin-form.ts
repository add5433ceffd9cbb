import type { ConsumerEntity, PluginEntity, RouteEntity, ServiceEntity } from '../../../model/gateway.js';
import type { PluginDefinition, PluginForm } from '../../../gateway/plugin.js';
import { pluginRegistry } from '../../../gateway/plugins/index.js';
import { selectField } from '../../forms.js';
import { html, type SafeHtml } from '../../html.js';
import { displayValue, renderField, type FormField } from './fields.js';
import { consumerName, routeName, serviceName } from './shared.js';

/**
 * Any plugin's form, rendered from the `form` its definition declares (src/gateway/
 * plugins/NAME/form.ts): the console knows no plugin by name, so a new plugin's form
 * appears here by itself. Around the configuration: where the plugin applies, whether
 * it is enabled, its protocols and tags, which make the whole entity, so an edit can
 * be sent with PUT (a PATCH cannot clear an optional field).
 */

export interface FormPlugin {
  name: string;
  form: PluginForm;
}

/** The plugins this server runs (`GET /plugins/enabled`) that have a form, in the registry's order (the sign-in plugins first). */
export function formPlugins(enabled: readonly string[]): FormPlugin[] {
  const running = new Set(enabled);
  return [...pluginRegistry.values()]
    .filter((definition): definition is PluginDefinition & { form: PluginForm } => running.has(definition.name) && definition.form !== undefined)
    .map((definition) => ({ name: definition.name, form: definition.form }));
}

export function findFormPlugin(name: string | undefined): FormPlugin | undefined {
  const definition = name === undefined ? undefined : pluginRegistry.get(name);
  return definition?.form ? { name: definition.name, form: definition.form } : undefined;
}

export interface ScopeChoices {
  routes: readonly RouteEntity[];
  services: readonly ServiceEntity[];
  consumers: readonly ConsumerEntity[];
}

export interface Scope {
  route?: string | undefined;
  service?: string | undefined;
  consumer?: string | undefined;
}

/**
 * Where the plugin applies. An organization's plugin runs on one of its routes or
 * services (a global one would run on every organization's traffic, so only the
 * operator sets those up), optionally only for one consumer.
 */
function scopeFields(form: string, choices: ScopeChoices, scope: Scope): SafeHtml {
  const selected = [scope.route && `route:${scope.route}`, scope.service && `service:${scope.service}`].filter(Boolean).join(' ');
  // Kong lets a plugin name a route and a service at once (the Admin API can make one);
  // the console offers that pair only where a plugin already has it, so saving keeps it.
  const both = scope.route && scope.service ? [{ value: selected, label: `Route ${choiceName(choices.routes, scope.route, routeName)} on service ${choiceName(choices.services, scope.service, serviceName)}` }] : [];
  return html`<fieldset class="gw-group">
  <legend>Applies to</legend>
  ${selectField({
    form,
    name: 'scope',
    label: 'Route or service',
    value: selected,
    hint: 'A plugin on a route runs for the requests that route matches; on a service, for every route of the service.',
    choices: [
      { value: '', label: 'Choose a route or a service' },
      ...both,
      ...choices.routes.map((route) => ({ value: `route:${route.id}`, label: `Route: ${routeName(route)}` })),
      ...choices.services.map((service) => ({ value: `service:${service.id}`, label: `Service: ${serviceName(service)}` })),
    ],
    attributes: html`data-kind="scope"`,
  })}
  ${selectField({
    form,
    name: 'consumer',
    label: 'Only for the consumer',
    value: scope.consumer ?? '',
    hint: 'Kong’s consumer scope: the plugin runs only for requests mapped to this consumer. Gatehouse stores it but does not apply consumer-scoped plugins yet.',
    choices: [{ value: '', label: 'Everyone' }, ...choices.consumers.map((consumer) => ({ value: consumer.id, label: consumerName(consumer) }))],
    attributes: html`data-kind="ref" data-empty="null"`,
  })}
</fieldset>`;
}

function choiceName<T extends { id: string }>(entities: readonly T[], id: string, name: (entity: T) => string): string {
  const entity = entities.find((candidate) => candidate.id === id);
  return entity ? name(entity) : id;
}

function entityFields(form: string, plugin: PluginEntity | undefined): SafeHtml {
  const fields: FormField[] = [
    { key: 'enabled', label: 'Enabled', kind: 'boolean', default: true, help: 'Whether the plugin runs. Off: it stays configured but requests pass as if it were not there.' },
    { key: 'protocols', label: 'Protocols', kind: 'choices', options: ['http', 'https'], default: ['http', 'https'], help: 'A list of the request protocols that will trigger this plugin.' },
    { key: 'tags', label: 'Tags', kind: 'list', help: 'An optional set of strings associated with the plugin for grouping and filtering, one per line.' },
  ];
  return html`${fields.map((field) => renderField(field, { form, value: plugin ? (plugin as unknown as Record<string, unknown>)[field.key] : field.default }))}`;
}

/** The configuration fields, a section each; the first is open, the others open on demand (and on an error inside). */
function configFields(form: string, plugin: FormPlugin, config: Record<string, unknown>): SafeHtml {
  return html`${plugin.form.sections.map(
    (section, index) => html`<details class="gw-section"${index === 0 ? html` open` : ''}>
  <summary>${section.title}</summary>
  <div class="gw-section-body">${section.fields.map((field) => renderField(field, { form, prefix: 'config', value: config[field.key] }))}</div>
</details>`,
  )}`;
}

/** The defaults of a new plugin's form, with values the page knows better (e.g. the organization of `sso`). */
export function initialConfig(plugin: FormPlugin, known: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const section of plugin.form.sections) for (const field of section.fields) if (field.default !== undefined) config[field.key] = field.default;
  return { ...config, ...known };
}

export function pluginFormBody(form: string, plugin: FormPlugin, options: { entity?: PluginEntity; config: Record<string, unknown>; choices: ScopeChoices; scope: Scope }): SafeHtml {
  return html`<input type="hidden" name="name" value="${plugin.name}">
<p class="lead">${plugin.form.summary}</p>
${scopeFields(form, options.choices, options.scope)}
<h2>Configuration</h2>
${configFields(form, plugin, options.config)}
<h2>Plugin</h2>
${entityFields(form, options.entity)}`;
}

/** The stored configuration, section by section, for the read-only page (secrets only as "stored"). */
export function configFacts(plugin: FormPlugin, config: Record<string, unknown>): SafeHtml {
  return html`${plugin.form.sections.map(
    (section) => html`<section class="card" aria-label="${section.title}">
  <h2>${section.title}</h2>
  <dl class="facts">${section.fields.map((field) => html`<dt>${field.label} <code class="gw-key">${field.key}</code></dt><dd>${displayValue(field, config[field.key])}</dd>`)}</dl>
</section>`,
  )}`;
}

/** A plugin without a declared form: its configuration as JSON (secrets are already `[redacted]`). */
export function rawConfig(config: Record<string, unknown>): SafeHtml {
  return html`<section class="card" aria-labelledby="raw-config"><h2 id="raw-config">Configuration</h2><pre class="gw-json">${JSON.stringify(config, null, 2)}</pre></section>`;
}
