import type { ConsumerEntity, RouteEntity, ServiceEntity } from '../../../model/gateway.js';
import { fieldId, selectField } from '../../forms.js';
import { html, type SafeHtml } from '../../html.js';
import { renderField, type FormField } from './fields.js';
import { serviceName } from './shared.js';

/**
 * The fields of services, routes and consumers, described like plugin fields (with the
 * help text of Kong's Admin API reference), and their forms. A new entity's form shows
 * the defaults; an edit shows the stored values and sends empty fields as null, which
 * resets them (Kong's PATCH semantics).
 */

const tags: FormField = { key: 'tags', label: 'Tags', kind: 'list', help: 'An optional set of strings associated with the entity for grouping and filtering, one per line.' };

export const SERVICE_FIELDS: readonly FormField[] = [
  {
    key: 'name',
    label: 'Name',
    kind: 'text',
    help: 'The service name: letters, digits and `.`, `-`, `_`, `~`. Routes and plugins can name the service by it.',
  },
  {
    key: 'url',
    label: 'Upstream URL',
    kind: 'url',
    required: true,
    placeholder: 'http://orders.internal:8080/api',
    help: 'Where requests go: protocol, host, port and path in one URL (http or https).',
  },
  { key: 'connect_timeout', label: 'Connect timeout', kind: 'number', unit: 'milliseconds', default: 60000, help: 'The timeout for establishing a connection to the upstream server.' },
  { key: 'read_timeout', label: 'Read timeout', kind: 'number', unit: 'milliseconds', default: 60000, help: 'The timeout between two successive read operations for transmitting a request to the upstream server.' },
  { key: 'write_timeout', label: 'Write timeout', kind: 'number', unit: 'milliseconds', default: 60000, help: 'The timeout between two successive write operations for transmitting a request to the upstream server.' },
  { key: 'retries', label: 'Retries', kind: 'number', default: 5, help: 'The number of retries to execute upon failure to proxy.' },
  { key: 'enabled', label: 'Enabled', kind: 'boolean', default: true, help: 'Whether the service is active. Off: its routes answer as if they did not exist.' },
  tags,
];

const ROUTE_MATCHING: readonly FormField[] = [
  {
    key: 'paths',
    label: 'Paths',
    kind: 'list',
    placeholder: '/orders',
    help: 'A list of paths that match this route, one per line: a prefix such as `/orders`, or a regex starting with `~`.',
  },
  { key: 'hosts', label: 'Hosts', kind: 'list', help: 'A list of domain names that match this route, one per line; a wildcard in the leftmost or rightmost label (`*.example.com`).' },
  { key: 'methods', label: 'Methods', kind: 'list', help: 'A list of HTTP methods that match this route, one per line (`GET`, `POST`, …). Empty: any method.' },
];

const ROUTE_OPTIONS: readonly FormField[] = [
  { key: 'protocols', label: 'Protocols', kind: 'choices', options: ['http', 'https'], default: ['http', 'https'], help: 'The protocols this route allows.' },
  { key: 'strip_path', label: 'Strip path', kind: 'boolean', default: true, help: 'When matching a route via one of the paths, strip the matching prefix from the upstream request URL.' },
  { key: 'preserve_host', label: 'Preserve host', kind: 'boolean', default: false, help: 'When matching a route via one of the hosts domain names, use the request `Host` header in the upstream request headers.' },
  { key: 'regex_priority', label: 'Regex priority', kind: 'number', default: 0, help: 'A number used to choose which route resolves a given request when several routes match it using regexes simultaneously.' },
  tags,
];

export const ROUTE_FIELDS: readonly FormField[] = [...ROUTE_MATCHING, ...ROUTE_OPTIONS];

const CONSUMER_IDENTITY: readonly FormField[] = [
  { key: 'username', label: 'Username', kind: 'text', help: 'The unique username of the consumer (the openid-connect plugin can find consumers by it).' },
  { key: 'custom_id', label: 'Custom ID', kind: 'text', help: 'A field for storing an existing identifier for the consumer, for example a user id in another database.' },
];

/** The values a form shows: the entity's on an edit, the defaults on a new one. */
function valueOf(field: FormField, entity: Record<string, unknown> | undefined): unknown {
  return entity ? entity[field.key] : field.default;
}

function fields(list: readonly FormField[], form: string, entity: Record<string, unknown> | undefined): SafeHtml {
  return html`${list.map((field) => renderField(field, { form, value: valueOf(field, entity), emptyMeansNull: entity !== undefined }))}`;
}

/** Kong's `url` shorthand from the stored parts, so an edit shows what was typed. */
export function serviceUrl(service: ServiceEntity): string {
  const defaultPort = service.protocol === 'https' ? 443 : 80;
  return `${service.protocol}://${service.host}${service.port === defaultPort ? '' : `:${service.port}`}${service.path ?? ''}`;
}

export function serviceFormBody(form: string, service: ServiceEntity | undefined): SafeHtml {
  const entity = service ? { ...service, url: serviceUrl(service) } : undefined;
  return fields(SERVICE_FIELDS, form, entity as Record<string, unknown> | undefined);
}

/**
 * The route form. Paths, hosts and methods are grouped: Kong needs at least one of
 * them, and says so about the route as a whole (`@entity`), so that error is shown
 * on the group.
 */
export function routeFormBody(form: string, route: RouteEntity | undefined, services: readonly ServiceEntity[], serviceId: string | undefined): SafeHtml {
  const entity = route as unknown as Record<string, unknown> | undefined;
  const groupId = fieldId(form, 'matching');
  const selected = route ? (route.service?.id ?? '') : (serviceId ?? '');
  return html`${renderField({ key: 'name', label: 'Name', kind: 'text', help: 'The name of the route: letters, digits and `.`, `-`, `_`, `~`.' }, { form, value: route?.name, emptyMeansNull: route !== undefined })}
${selectField({
  form,
  name: 'service',
  label: 'Service',
  value: selected,
  hint: 'The service this route sends requests to.',
  choices: [{ value: '', label: 'None (matching requests are refused)' }, ...services.map((service) => ({ value: service.id, label: serviceName(service) }))],
  attributes: html`data-kind="ref"${route ? html` data-empty="null"` : ''}`,
})}
<fieldset class="gw-group" aria-describedby="${groupId}-hint ${groupId}-error">
  <legend>Matching</legend>
  <p class="hint" id="${groupId}-hint">A request matches the route by its path, host and method; set at least one of them.</p>
  <p class="field-error" id="${groupId}-error" data-error-for="@entity"></p>
  ${fields(ROUTE_MATCHING, form, entity)}
</fieldset>
${fields(ROUTE_OPTIONS, form, entity)}`;
}

export function consumerFormBody(form: string, consumer: ConsumerEntity | undefined): SafeHtml {
  const entity = consumer as unknown as Record<string, unknown> | undefined;
  const groupId = fieldId(form, 'identity');
  return html`<fieldset class="gw-group" aria-describedby="${groupId}-hint ${groupId}-error">
  <legend>Identity</legend>
  <p class="hint" id="${groupId}-hint">A consumer is identified by its username, its custom ID, or both; set at least one.</p>
  <p class="field-error" id="${groupId}-error" data-error-for="@entity"></p>
  ${fields(CONSUMER_IDENTITY, form, entity)}
</fieldset>
${fields([tags], form, entity)}`;
}
