import type { PluginEntity, RouteEntity, ServiceEntity } from '../../../model/gateway.js';
import { when } from '../../format.js';
import { html } from '../../html.js';
import type { ConsolePage } from '../../page.js';
import { routeFormBody } from './entity-forms.js';
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
  pluginsOnRoute,
  routeName,
  serviceLink,
  writeForm,
  yesNo,
} from './shared.js';

/** Routes: which requests the gateway accepts (paths, hosts, methods) and the service they go to. */

export const routesPage = gatewayPage({
  path: '/gateway/routes',
  title: 'Routes',
  permission: 'gateway:read',
  async render({ signedIn, admin }) {
    const [routes, services, plugins] = await Promise.all([
      listAll<RouteEntity>(admin, '/routes'),
      listAll<ServiceEntity>(admin, '/services'),
      listAll<PluginEntity>(admin, '/plugins'),
    ]);
    const directory = { services: new Map(services.map((service) => [service.id, service])) };
    return html`<h1>Gateway</h1>
${gatewayTabs('/gateway/routes')}
<div class="gw-heading"><h2>Routes</h2>${canWrite(signedIn) ? html`<a class="button button--primary" href="/gateway/routes/new">New route</a>` : ''}</div>
<p class="lead">A route matches requests by path, host and method and sends them to its service, through its plugins.</p>
${routes.length === 0
  ? html`<p class="card">No routes yet.${canWrite(signedIn) ? html` <a href="/gateway/routes/new">Create the first one</a>.` : ''}</p>`
  : html`<table class="gw-table">
  <caption class="gw-visually-hidden">Routes</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Paths</th><th scope="col">Hosts</th><th scope="col">Service</th><th scope="col">Plugins</th></tr></thead>
  <tbody>${routes.map(
    (route) => html`<tr><th scope="row"><a href="/gateway/routes/${route.id}">${routeName(route)}</a></th><td>${codeList(route.paths)}</td><td>${codeList(route.hosts)}</td><td>${route.service ? serviceLink(directory, route.service.id) : html`<span class="gw-muted">None</span>`}</td><td>${codeList(pluginsOnRoute(plugins, route).map((plugin) => plugin.name))}</td></tr>`,
  )}</tbody>
</table>`}`;
  },
});

export const newRoutePage = gatewayPage({
  path: '/gateway/routes/new',
  title: 'New route',
  permission: 'gateway:write',
  async render({ admin, csrf, query }) {
    const services = await listAll<ServiceEntity>(admin, '/services');
    const serviceId = services.find((service) => service.id === query.service)?.id;
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/routes', label: 'Routes' }, { label: 'New route' }])}
<h1>New route</h1>
${writeFormFor(undefined, services, serviceId, csrf)}`;
  },
});

function writeFormFor(route: RouteEntity | undefined, services: readonly ServiceEntity[], serviceId: string | undefined, csrf: string) {
  const back = route ? `/gateway/routes/${route.id}` : serviceId ? `/gateway/services/${serviceId}` : '/gateway/routes';
  return writeForm({
    id: 'route',
    path: route ? `/routes/${route.id}` : '/routes',
    method: route ? 'PATCH' : 'POST',
    then: '/gateway/routes/{id}',
    csrf,
    submitLabel: route ? 'Save route' : 'Create route',
    cancel: back,
    emptyMeansNull: route !== undefined,
    body: routeFormBody('route', route, services, serviceId),
  });
}

export const routeDetailPage = gatewayPage({
  path: '/gateway/routes/:id',
  title: 'Route',
  permission: 'gateway:read',
  async render(context) {
    const { admin, signedIn, csrf } = context;
    const route = await admin.get<RouteEntity>(`/routes/${idParam(context)}`);
    const [plugins, services] = await Promise.all([listAll<PluginEntity>(admin, `/routes/${route.id}/plugins`), listAll<ServiceEntity>(admin, '/services')]);
    const directory = { services: new Map(services.map((service) => [service.id, service])) };
    const servicePlugins = route.service ? await listAll<PluginEntity>(admin, `/services/${route.service.id}/plugins`) : [];
    const name = routeName(route);
    const write = canWrite(signedIn);
    const controls = write
      ? html`<a class="button" href="/gateway/routes/${route.id}/edit">Edit</a>
${deleteControl({ id: 'delete-route', what: `route “${name}”`, consequence: 'Requests it matched will no longer reach the service; its plugins are deleted with it.', path: `/routes/${route.id}`, then: '/gateway/routes', csrf })}`
      : undefined;
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/routes', label: 'Routes' }, { label: name }])}
${detailHeader(html`Route “${name}”`, controls)}
<section class="card" aria-labelledby="route-facts">
  <h2 id="route-facts">Matching</h2>
  <dl class="facts">
    <dt>Paths</dt><dd>${codeList(route.paths)}</dd>
    <dt>Hosts</dt><dd>${codeList(route.hosts)}</dd>
    <dt>Methods</dt><dd>${route.methods && route.methods.length > 0 ? codeList(route.methods) : 'Any'}</dd>
    <dt>Protocols</dt><dd>${codeList(route.protocols)}</dd>
    <dt>Service</dt><dd>${route.service ? serviceLink(directory, route.service.id) : 'None: matching requests are refused'}</dd>
    <dt>Strip path</dt><dd>${yesNo(route.strip_path)}</dd>
    <dt>Preserve host</dt><dd>${yesNo(route.preserve_host)}</dd>
    <dt>Regex priority</dt><dd>${route.regex_priority}</dd>
    <dt>Tags</dt><dd>${codeList(route.tags)}</dd>
    <dt>ID</dt><dd><code>${route.id}</code></dd>
    <dt>Updated</dt><dd>${when(route.updated_at)}</dd>
  </dl>
</section>
<section class="card" aria-labelledby="route-plugins">
  <div class="gw-heading"><h2 id="route-plugins">Plugins</h2>${write ? html`<a class="button button--primary" href="/gateway/plugins/new?route=${route.id}">Add plugin</a>` : ''}</div>
  ${pluginTable(plugins, 'No plugin on this route: requests pass as they are.')}
  ${servicePlugins.length > 0 ? html`<h3>From the service</h3><p class="hint">These run on this route too, unless the route has a plugin of the same name.</p>${pluginTable(servicePlugins, '')}` : ''}
</section>`;
  },
});

export const editRoutePage = gatewayPage({
  path: '/gateway/routes/:id/edit',
  title: 'Edit route',
  permission: 'gateway:write',
  async render(context) {
    const route = await context.admin.get<RouteEntity>(`/routes/${idParam(context)}`);
    const services = await listAll<ServiceEntity>(context.admin, '/services');
    const name = routeName(route);
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/routes', label: 'Routes' }, { href: `/gateway/routes/${route.id}`, label: name }, { label: 'Edit' }])}
<h1>Edit route “${name}”</h1>
${writeFormFor(route, services, undefined, context.csrf)}`;
  },
});

export const ROUTE_PAGES: readonly ConsolePage[] = [routesPage, newRoutePage, routeDetailPage, editRoutePage];
