import type { PluginEntity, RouteEntity, ServiceEntity } from '../../../model/gateway.js';
import { when } from '../../format.js';
import { html } from '../../html.js';
import type { ConsolePage } from '../../page.js';
import { serviceFormBody, serviceUrl } from './entity-forms.js';
import { editEntityPage, newEntityPage, type FormEntity } from './entity-pages.js';
import { pluginTable } from './plugin-tables.js';
import {
  breadcrumbs,
  canWrite,
  codeList,
  deleteControl,
  detailHeader,
  gatewayPage,
  gatewayTabs,
  idParam,
  listAll,
  routeName,
  serviceName,
  yesNo,
} from './shared.js';

/** Services: the upstreams requests go to (Kong's Service entity). */

const SERVICE: FormEntity<ServiceEntity> = { collection: 'services', noun: 'service', plural: 'Services', name: serviceName, form: serviceFormBody };

export const servicesPage = gatewayPage({
  path: '/gateway/services',
  title: 'Services',
  permission: 'gateway:read',
  async render({ signedIn, admin }) {
    const [services, routes] = await Promise.all([listAll<ServiceEntity>(admin, '/services'), listAll<RouteEntity>(admin, '/routes')]);
    const routeCount = new Map<string, number>();
    for (const route of routes) if (route.service) routeCount.set(route.service.id, (routeCount.get(route.service.id) ?? 0) + 1);
    return html`<h1>Gateway</h1>
${gatewayTabs('/gateway/services')}
<div class="gw-heading"><h2>Services</h2>${canWrite(signedIn) ? html`<a class="button button--primary" href="/gateway/services/new">New service</a>` : ''}</div>
<p class="lead">A service is an upstream application: where the gateway sends the requests its routes match.</p>
${services.length === 0
  ? html`<p class="card">No services yet.${canWrite(signedIn) ? html` <a href="/gateway/services/new">Create the first one</a>.` : ''}</p>`
  : html`<table class="gw-table">
  <caption class="gw-visually-hidden">Services</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Upstream URL</th><th scope="col">Routes</th><th scope="col">Enabled</th></tr></thead>
  <tbody>${services.map(
    (service) => html`<tr><th scope="row"><a href="/gateway/services/${service.id}">${serviceName(service)}</a></th><td><code>${serviceUrl(service)}</code></td><td>${routeCount.get(service.id) ?? 0}</td><td>${yesNo(service.enabled)}</td></tr>`,
  )}</tbody>
</table>`}`;
  },
});

export const newServicePage = newEntityPage(SERVICE);

export const serviceDetailPage = gatewayPage({
  path: '/gateway/services/:id',
  title: 'Service',
  permission: 'gateway:read',
  async render(context) {
    const { admin, signedIn, csrf } = context;
    const id = idParam(context);
    const service = await admin.get<ServiceEntity>(`/services/${id}`);
    const [routes, plugins] = await Promise.all([
      listAll<RouteEntity>(admin, `/services/${service.id}/routes`),
      listAll<PluginEntity>(admin, `/services/${service.id}/plugins`),
    ]);
    const name = serviceName(service);
    const write = canWrite(signedIn);
    const controls = write
      ? html`<a class="button" href="/gateway/services/${service.id}/edit">Edit</a>
${deleteControl({
  id: 'delete-service',
  what: `service “${name}”`,
  consequence: routes.length > 0 ? `Its ${routes.length} route(s) must be deleted or moved to another service first; the Admin API refuses otherwise.` : 'Its plugins are deleted with it.',
  path: `/services/${service.id}`,
  then: '/gateway/services',
  csrf,
})}`
      : undefined;
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/services', label: 'Services' }, { label: name }])}
${detailHeader(html`Service “${name}”`, controls)}
<section class="card" aria-labelledby="service-facts">
  <h2 id="service-facts">Upstream</h2>
  <dl class="facts">
    <dt>Upstream URL</dt><dd><code>${serviceUrl(service)}</code></dd>
    <dt>Enabled</dt><dd>${yesNo(service.enabled)}</dd>
    <dt>Timeouts</dt><dd>connect ${service.connect_timeout} ms, read ${service.read_timeout} ms, write ${service.write_timeout} ms</dd>
    <dt>Retries</dt><dd>${service.retries}</dd>
    <dt>Tags</dt><dd>${codeList(service.tags)}</dd>
    <dt>ID</dt><dd><code>${service.id}</code></dd>
    <dt>Updated</dt><dd>${when(service.updated_at)}</dd>
  </dl>
</section>
<section class="card" aria-labelledby="service-routes">
  <div class="gw-heading"><h2 id="service-routes">Routes</h2>${write ? html`<a class="button" href="/gateway/routes/new?service=${service.id}">Add route</a>` : ''}</div>
  ${routes.length === 0
    ? html`<p>No route sends requests to this service yet.</p>`
    : html`<ul class="gw-list">${routes.map((route) => html`<li><a href="/gateway/routes/${route.id}">${routeName(route)}</a> ${codeList(route.paths)}</li>`)}</ul>`}
</section>
<section class="card" aria-labelledby="service-plugins">
  <div class="gw-heading"><h2 id="service-plugins">Plugins</h2>${write ? html`<a class="button" href="/gateway/plugins/new?service=${service.id}">Add plugin</a>` : ''}</div>
  <p class="hint">Plugins on a service run for every route of the service.</p>
  ${pluginTable(plugins, 'No plugin on this service.')}
</section>`;
  },
});

export const editServicePage = editEntityPage(SERVICE);

export const SERVICE_PAGES: readonly ConsolePage[] = [servicesPage, newServicePage, serviceDetailPage, editServicePage];
