import { html } from '../../html.js';
import { canWrite, codeList, gatewayPage, gatewayTabs, loadDirectory, pluginsOnRoute, routeName, serviceLink } from './shared.js';

/**
 * The Gateway section's front page: how many services, routes, plugins and consumers
 * the organization has, each with its list and (for writers) a way to add one, and the
 * routes with what protects them: the one table that answers "what is exposed, and how".
 */
export const gatewayOverviewPage = gatewayPage({
  path: '/gateway',
  title: 'Gateway',
  permission: 'gateway:read',
  async render({ admin, signedIn }) {
    const directory = await loadDirectory(admin);
    const write = canWrite(signedIn);
    const counts = [
      { path: '/gateway/services', label: 'Services', count: directory.services.size, add: '/gateway/services/new', addLabel: 'New service' },
      { path: '/gateway/routes', label: 'Routes', count: directory.routes.size, add: '/gateway/routes/new', addLabel: 'New route' },
      { path: '/gateway/plugins', label: 'Plugins', count: directory.plugins.length, add: '/gateway/plugins/new', addLabel: 'Add plugin' },
      { path: '/gateway/consumers', label: 'Consumers', count: directory.consumers.size, add: '/gateway/consumers/new', addLabel: 'New consumer' },
    ];
    const routes = [...directory.routes.values()];
    return html`<h1>Gateway</h1>
${gatewayTabs('/gateway')}
<p class="lead">What ${signedIn.organization.name} exposes through Gatehouse: services are the upstream applications, routes decide which requests reach them, plugins sign people in and check their groups on the way.</p>
<ul class="gw-counts">${counts.map(
  (entry) => html`<li class="card">
  <h2><a href="${entry.path}">${entry.label}</a></h2>
  <p class="gw-count">${entry.count}</p>
  ${write ? html`<a class="button" href="${entry.add}">${entry.addLabel}</a>` : ''}
</li>`,
)}</ul>
<section class="card" aria-labelledby="overview-routes">
  <h2 id="overview-routes">Routes and what protects them</h2>
  ${routes.length === 0
    ? html`<p>No routes yet.${write ? html` Start with <a href="/gateway/services/new">a service</a> (the upstream), then add a route to it.` : ''}</p>`
    : html`<table class="gw-table">
    <caption class="gw-visually-hidden">Routes and their plugins</caption>
    <thead><tr><th scope="col">Route</th><th scope="col">Paths</th><th scope="col">Service</th><th scope="col">Plugins</th></tr></thead>
    <tbody>${routes.map((route) => {
      const plugins = pluginsOnRoute(directory.plugins, route);
      return html`<tr><th scope="row"><a href="/gateway/routes/${route.id}">${routeName(route)}</a></th><td>${codeList(route.paths)}</td><td>${route.service ? serviceLink(directory, route.service.id) : html`<span class="gw-muted">None</span>`}</td><td>${plugins.length === 0 ? html`<span class="gw-warning">None: open to anyone</span>` : codeList(plugins.map((plugin) => plugin.name))}</td></tr>`;
    })}</tbody>
  </table>`}
</section>`;
  },
});
