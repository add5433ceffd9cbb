import type { ConsumerEntity, PluginEntity, RouteEntity, ServiceEntity } from '../../../model/gateway.js';
import { csrfField, formAlert } from '../../forms.js';
import { html, type SafeHtml } from '../../html.js';
import type { ConsolePage, PageContext } from '../../page.js';
import type { SignedIn } from '../../signed-in.js';
import type { AdminClient } from '../../upstream.js';

/**
 * What the gateway pages share: reading whole collections, names for ids, the
 * section's tabs, and the write controls (forms submitted by `gateway.js`, delete with
 * a confirmation dialog) that only people with gateway:write see.
 */

const SECTION = '/gateway';
const SCRIPTS = ['gateway.js'] as const;

/** A page of the Gateway section: marked in the navigation as Gateway, with the script its write controls use. */
export function gatewayPage(page: Omit<ConsolePage, 'section' | 'scripts'> & { permission: 'gateway:read' | 'gateway:write' }): ConsolePage {
  return { ...page, section: SECTION, scripts: SCRIPTS };
}

interface ListBody<T> {
  data: T[];
  next: string | null;
}

/** The largest page the Admin API serves; an organization's gateway fits in a few. */
const PAGE_SIZE = 1000;
const MAX_PAGES = 20;

/** Every entity of a collection the person can see (following Kong's `next` links). */
export async function listAll<T>(admin: AdminClient, path: string): Promise<T[]> {
  const items: T[] = [];
  let url: string | null = `${path}${path.includes('?') ? '&' : '?'}size=${PAGE_SIZE}`;
  for (let page = 0; url && page < MAX_PAGES; page += 1) {
    const body: ListBody<T> = await admin.get<ListBody<T>>(url);
    items.push(...body.data);
    url = body.next;
  }
  return items;
}

export function canWrite(signedIn: SignedIn): boolean {
  return signedIn.permissions.has('gateway:write');
}

/**
 * The plugins that run on a route: its own and its service's (consumer-scoped ones are
 * not applied yet); both are listed, though a route's plugin hides its service's plugin of the same name.
 */
export function pluginsOnRoute(plugins: readonly PluginEntity[], route: Pick<RouteEntity, 'id' | 'service'>): PluginEntity[] {
  const serviceId = route.service?.id;
  return plugins.filter((plugin) => !plugin.consumer && (plugin.route?.id === route.id || (!plugin.route && serviceId !== undefined && plugin.service?.id === serviceId)));
}

/** A path parameter made safe to put into an Admin API path. */
export function idParam(context: PageContext): string {
  return encodeURIComponent(context.params.id ?? '');
}

export function serviceName(service: ServiceEntity): string {
  return service.name ?? service.id;
}

export function routeName(route: RouteEntity): string {
  return route.name ?? route.paths?.[0] ?? route.hosts?.[0] ?? route.id;
}

export function consumerName(consumer: ConsumerEntity): string {
  return consumer.username ?? consumer.custom_id ?? consumer.id;
}

/** Everything a page needs to name the entities plugins and routes point at. */
export interface Directory {
  services: Map<string, ServiceEntity>;
  routes: Map<string, RouteEntity>;
  consumers: Map<string, ConsumerEntity>;
}

export async function loadDirectory(admin: AdminClient): Promise<Directory & { plugins: PluginEntity[] }> {
  const [services, routes, consumers, plugins] = await Promise.all([
    listAll<ServiceEntity>(admin, '/services'),
    listAll<RouteEntity>(admin, '/routes'),
    listAll<ConsumerEntity>(admin, '/consumers'),
    listAll<PluginEntity>(admin, '/plugins'),
  ]);
  return {
    services: new Map(services.map((service) => [service.id, service])),
    routes: new Map(routes.map((route) => [route.id, route])),
    consumers: new Map(consumers.map((consumer) => [consumer.id, consumer])),
    plugins,
  };
}

/** A link to an entity by id, named when the directory knows it. */
export function serviceLink(directory: Pick<Directory, 'services'>, id: string): SafeHtml {
  const service = directory.services.get(id);
  return html`<a href="/gateway/services/${id}">${service ? serviceName(service) : id}</a>`;
}

export function routeLink(directory: Pick<Directory, 'routes'>, id: string): SafeHtml {
  const route = directory.routes.get(id);
  return html`<a href="/gateway/routes/${id}">${route ? routeName(route) : id}</a>`;
}

export function consumerLink(directory: Pick<Directory, 'consumers'>, id: string): SafeHtml {
  const consumer = directory.consumers.get(id);
  return html`<a href="/gateway/consumers/${id}">${consumer ? consumerName(consumer) : id}</a>`;
}

/** Where a plugin applies, in words, with links: "route x", "service y, consumer z". */
export function pluginScope(plugin: PluginEntity, directory: Directory): SafeHtml {
  const parts: SafeHtml[] = [];
  if (plugin.route) parts.push(html`route ${routeLink(directory, plugin.route.id)}`);
  if (plugin.service) parts.push(html`service ${serviceLink(directory, plugin.service.id)}`);
  if (plugin.consumer) parts.push(html`consumer ${consumerLink(directory, plugin.consumer.id)}`);
  if (parts.length === 0) return html`every request (global)`;
  return html`${parts.map((part, index) => html`${index > 0 ? ', ' : ''}${part}`)}`;
}

const TABS = [
  { path: '/gateway', label: 'Overview' },
  { path: '/gateway/services', label: 'Services' },
  { path: '/gateway/routes', label: 'Routes' },
  { path: '/gateway/plugins', label: 'Plugins' },
  { path: '/gateway/consumers', label: 'Consumers' },
] as const;

/** The section's own navigation; `current` is the tab of the page shown. */
export function gatewayTabs(current: (typeof TABS)[number]['path']): SafeHtml {
  return html`<nav class="gw-tabs" aria-label="Gateway">
  <ul>${TABS.map((tab) => html`<li><a href="${tab.path}"${tab.path === current ? html` aria-current="page"` : ''}>${tab.label}</a></li>`)}</ul>
</nav>`;
}

export function yesNo(value: boolean): string {
  return value ? 'Yes' : 'No';
}

export function codeList(values: readonly string[] | null | undefined): SafeHtml | string {
  if (!values || values.length === 0) return html`<span class="gw-muted">None</span>`;
  return html`${values.map((value, index) => html`${index > 0 ? ', ' : ''}<code>${value}</code>`)}`;
}

/** Said once on each write page: reading works without script, saving needs it (it talks to the Admin API). */
const NO_SCRIPT = html`<noscript><p class="notice notice--error">Saving needs JavaScript, which is off in this browser; everything can still be read.</p></noscript>`;

export interface WriteFormOptions {
  id: string;
  /** The Admin API path and method the form is sent to. */
  path: string;
  method: 'POST' | 'PATCH' | 'PUT';
  /** Where to go afterwards; `{id}` is replaced by the saved entity's id. */
  then: string;
  csrf: string;
  submitLabel: string;
  /** Empty fields are sent as null (edits reset them) rather than left out. */
  emptyMeansNull?: boolean;
  cancel: string;
  body: SafeHtml;
  /**
   * Error names the API uses for fields the form shows under another name, as
   * `api:form` pairs separated by spaces (`route:scope`).
   */
  aliases?: string;
}

/**
 * A form `gateway.js` sends to the Admin API as JSON, showing the API's field errors
 * next to their fields. The submit button is enabled by the script, so a browser
 * without it cannot post a form that would go nowhere.
 */
export function writeForm(options: WriteFormOptions): SafeHtml {
  return html`${NO_SCRIPT}
<form class="form card gw-form" id="${options.id}" method="post" novalidate data-gateway-form data-path="${options.path}" data-method="${options.method}" data-then="${options.then}"${options.emptyMeansNull ? html` data-empty="null"` : ''}${options.aliases ? html` data-aliases="${options.aliases}"` : ''}>
  ${csrfField(options.csrf)}
  ${formAlert(options.id, undefined)}
  ${options.body}
  <div class="actions">
    <button type="submit" class="button button--primary" disabled data-needs-script>${options.submitLabel}</button>
    <a href="${options.cancel}">Cancel</a>
  </div>
</form>`;
}

export interface DeleteOptions {
  /** Unique on the page: the dialog's id. */
  id: string;
  /** "service “echo”" */
  what: string;
  /** What else goes, or why it may be refused. */
  consequence: string;
  path: string;
  then: string;
  csrf: string;
}

/** A delete button that opens a confirmation dialog (script only: without it the button stays hidden). */
export function deleteControl(options: DeleteOptions): SafeHtml {
  const titleId = `${options.id}-title`;
  return html`<button type="button" class="button button--danger" hidden data-needs-script data-open-dialog="${options.id}">Delete…</button>
<dialog class="gw-dialog" id="${options.id}" aria-labelledby="${titleId}">
  <form class="form" id="${options.id}-form" method="dialog" data-gateway-form data-path="${options.path}" data-method="DELETE" data-then="${options.then}">
    ${csrfField(options.csrf)}
    <h2 id="${titleId}">Delete ${options.what}?</h2>
    <p>${options.consequence} This cannot be undone.</p>
    ${formAlert(`${options.id}-form`, undefined)}
    <div class="actions">
      <button type="submit" class="button button--danger">Delete</button>
      <button type="button" class="button" data-close-dialog>Cancel</button>
    </div>
  </form>
</dialog>`;
}

/** The heading row of a detail page: title and, for writers, Edit and Delete. */
export function detailHeader(title: SafeHtml | string, controls: SafeHtml | undefined): SafeHtml {
  return html`<div class="gw-heading"><h1>${title}</h1>${controls ? html`<div class="actions">${controls}</div>` : ''}</div>`;
}

export function breadcrumbs(items: ReadonlyArray<{ href?: string; label: string }>): SafeHtml {
  return html`<nav class="gw-breadcrumbs" aria-label="Breadcrumb"><ol>${items.map((item) =>
    item.href ? html`<li><a href="${item.href}">${item.label}</a></li>` : html`<li aria-current="page">${item.label}</li>`,
  )}</ol></nav>`;
}
