import type { PluginEntity } from '../../../model/gateway.js';
import { when } from '../../format.js';
import { html } from '../../html.js';
import type { ConsolePage, PageContext } from '../../page.js';
import { configFacts, findFormPlugin, formPlugins, initialConfig, pluginFormBody, rawConfig, type FormPlugin, type Scope } from './plugin-form.js';
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
  loadDirectory,
  pluginScope,
  routeName,
  serviceName,
  writeForm,
  yesNo,
  type Directory,
} from './shared.js';

/** Plugins: what runs on a route's requests (sign-in, group checks), each configured with its own form. */

/** Errors the Admin API reports on `route` or `service` concern the form's "Route or service" field. */
const SCOPE_ALIASES = 'route:scope service:scope';

export const pluginsPage = gatewayPage({
  path: '/gateway/plugins',
  title: 'Plugins',
  permission: 'gateway:read',
  async render({ signedIn, admin }) {
    const directory = await loadDirectory(admin);
    return html`<h1>Gateway</h1>
${gatewayTabs('/gateway/plugins')}
<div class="gw-heading"><h2>Plugins</h2>${canWrite(signedIn) ? html`<a class="button button--primary" href="/gateway/plugins/new">Add plugin</a>` : ''}</div>
<p class="lead">Plugins run on the requests of a route or of every route of a service: signing people in (openid-connect, sso), checking their groups (acl).</p>
${pluginTable(directory.plugins, 'No plugins yet: add one from a route’s page, or here.', directory)}`;
  },
});

/** The scope a "new plugin" link asks for (`?route=ID`, `?service=ID`, `?consumer=ID`), if those exist. */
function requestedScope(query: PageContext['query'], directory: Directory): Scope {
  return {
    route: query.route !== undefined && directory.routes.has(query.route) ? query.route : undefined,
    service: query.service !== undefined && directory.services.has(query.service) ? query.service : undefined,
    consumer: query.consumer !== undefined && directory.consumers.has(query.consumer) ? query.consumer : undefined,
  };
}

function scopeQuery(scope: Scope): string {
  const params = new URLSearchParams();
  if (scope.route) params.set('route', scope.route);
  else if (scope.service) params.set('service', scope.service);
  if (scope.consumer) params.set('consumer', scope.consumer);
  return params.toString();
}

function scopeLabel(scope: Scope, directory: Directory): string | undefined {
  const route = scope.route ? directory.routes.get(scope.route) : undefined;
  if (route) return `route “${routeName(route)}”`;
  const service = scope.service ? directory.services.get(scope.service) : undefined;
  return service ? `service “${serviceName(service)}”` : undefined;
}

function choicesOf(directory: Directory) {
  return { routes: [...directory.routes.values()], services: [...directory.services.values()], consumers: [...directory.consumers.values()] };
}

/**
 * Adding a plugin, in two steps that are both plain links and pages (bookmarkable,
 * no script needed to get there): choose the plugin, then fill in its form.
 */
export const newPluginPage = gatewayPage({
  path: '/gateway/plugins/new',
  title: 'Add plugin',
  permission: 'gateway:write',
  async render({ admin, csrf, query, signedIn }) {
    const [directory, enabled] = await Promise.all([loadDirectory(admin), admin.get<{ enabled_plugins: string[] }>('/plugins/enabled')]);
    const scope = requestedScope(query, directory);
    const target = scopeLabel(scope, directory);
    const available = formPlugins(enabled.enabled_plugins);
    const chosen = available.find((plugin) => plugin.name === query.name);
    const crumbs = breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/plugins', label: 'Plugins' }, { label: 'Add plugin' }]);
    const back = scope.route ? `/gateway/routes/${scope.route}` : scope.service ? `/gateway/services/${scope.service}` : '/gateway/plugins';

    if (!chosen) {
      const base = scopeQuery(scope);
      return html`${crumbs}
<h1>Add a plugin${target ? ` to ${target}` : ''}</h1>
${query.name !== undefined ? html`<div class="notice notice--error" role="alert"><p>There is no plugin “${query.name}” with a form on this server; choose one below.</p></div>` : ''}
<p class="lead">Choose the plugin.</p>
<ul class="gw-choose">${available.map(
  (plugin) => html`<li class="card">
  <h2><code>${plugin.name}</code></h2>
  <p>${plugin.form.summary}</p>
  <a class="button button--primary" href="/gateway/plugins/new?${base ? `${base}&` : ''}name=${encodeURIComponent(plugin.name)}" aria-label="Configure ${plugin.name}">Configure</a>
</li>`,
)}</ul>
<p><a href="${back}">Cancel</a></p>`;
    }

    // An sso plugin signs in with the organization that owns the route: the only value it accepts.
    const known = chosen.name === 'sso' ? { organization: signedIn.organization.login_path } : {};
    return html`${crumbs}
<h1>Add <code>${chosen.name}</code>${target ? ` to ${target}` : ''}</h1>
${writeForm({
  id: 'plugin',
  path: '/plugins',
  method: 'POST',
  then: '/gateway/plugins/{id}',
  csrf,
  submitLabel: 'Add plugin',
  cancel: back,
  aliases: SCOPE_ALIASES,
  body: pluginFormBody('plugin', chosen, { config: initialConfig(chosen, known), choices: choicesOf(directory), scope }),
})}`;
  },
});

export const pluginDetailPage = gatewayPage({
  path: '/gateway/plugins/:id',
  title: 'Plugin',
  permission: 'gateway:read',
  async render(context) {
    const { admin, signedIn, csrf } = context;
    const plugin = await admin.get<PluginEntity>(`/plugins/${idParam(context)}`);
    const directory = await loadDirectory(admin);
    const described: FormPlugin | undefined = findFormPlugin(plugin.name);
    const back = plugin.route ? `/gateway/routes/${plugin.route.id}` : plugin.service ? `/gateway/services/${plugin.service.id}` : '/gateway/plugins';
    const controls = canWrite(signedIn)
      ? html`${described ? html`<a class="button" href="/gateway/plugins/${plugin.id}/edit">Edit</a>` : ''}
${deleteControl({ id: 'delete-plugin', what: `the ${plugin.name} plugin`, consequence: 'Requests it applied to will pass without it.', path: `/plugins/${plugin.id}`, then: back, csrf })}`
      : undefined;
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/plugins', label: 'Plugins' }, { label: plugin.name }])}
${detailHeader(html`Plugin <code>${plugin.name}</code>`, controls)}
${described ? html`<p class="lead">${described.form.summary}</p>` : ''}
<section class="card" aria-labelledby="plugin-facts">
  <h2 id="plugin-facts">Plugin</h2>
  <dl class="facts">
    <dt>Applies to</dt><dd>${pluginScope(plugin, directory)}</dd>
    <dt>Enabled</dt><dd>${yesNo(plugin.enabled)}</dd>
    <dt>Protocols</dt><dd>${codeList(plugin.protocols)}</dd>
    <dt>Tags</dt><dd>${codeList(plugin.tags)}</dd>
    <dt>ID</dt><dd><code>${plugin.id}</code></dd>
    <dt>Updated</dt><dd>${when(plugin.updated_at)}</dd>
  </dl>
</section>
${described ? configFacts(described, plugin.config) : rawConfig(plugin.config)}`;
  },
});

export const editPluginPage = gatewayPage({
  path: '/gateway/plugins/:id/edit',
  title: 'Edit plugin',
  permission: 'gateway:write',
  async render(context) {
    const { admin, csrf } = context;
    const plugin = await admin.get<PluginEntity>(`/plugins/${idParam(context)}`);
    const directory = await loadDirectory(admin);
    const described = findFormPlugin(plugin.name);
    const crumbs = breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/plugins', label: 'Plugins' }, { href: `/gateway/plugins/${plugin.id}`, label: plugin.name }, { label: 'Edit' }]);
    if (!described) {
      return html`${crumbs}<h1>Edit <code>${plugin.name}</code></h1>
<div class="notice notice--error" role="alert"><p>The ${plugin.name} plugin declares no form, so the console cannot edit it; use the Admin API (<code>PATCH /plugins/${plugin.id}</code>).</p></div>`;
    }
    const scope: Scope = { route: plugin.route?.id, service: plugin.service?.id, consumer: plugin.consumer?.id };
    // PUT replaces the whole plugin, so a field emptied here is cleared; an untouched secret is sent as `[redacted]` and kept.
    return html`${crumbs}
<h1>Edit <code>${plugin.name}</code></h1>
${writeForm({
  id: 'plugin',
  path: `/plugins/${plugin.id}`,
  method: 'PUT',
  then: `/gateway/plugins/${plugin.id}`,
  csrf,
  submitLabel: 'Save plugin',
  cancel: `/gateway/plugins/${plugin.id}`,
  aliases: SCOPE_ALIASES,
  body: pluginFormBody('plugin', described, { entity: plugin, config: plugin.config, choices: choicesOf(directory), scope }),
})}`;
  },
});

export const PLUGIN_PAGES: readonly ConsolePage[] = [pluginsPage, newPluginPage, pluginDetailPage, editPluginPage];
