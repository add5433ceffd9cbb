import type { PluginEntity } from '../../../model/gateway.js';
import { html, type SafeHtml } from '../../html.js';
import { pluginScope, yesNo, type Directory } from './shared.js';

/**
 * A table of plugins, each linked to its page; with a directory, also where each
 * applies (the plugins list), without one the page it is on says it.
 */
export function pluginTable(plugins: readonly PluginEntity[], empty: string, directory?: Directory): SafeHtml {
  if (plugins.length === 0) return html`<p>${empty}</p>`;
  return html`<table class="gw-table">
  <caption class="gw-visually-hidden">Plugins</caption>
  <thead><tr><th scope="col">Plugin</th>${directory ? html`<th scope="col">Applies to</th>` : ''}<th scope="col">Enabled</th></tr></thead>
  <tbody>${plugins.map(
    (plugin) =>
      html`<tr><th scope="row"><a href="/gateway/plugins/${plugin.id}">${plugin.name}</a></th>${directory ? html`<td>${pluginScope(plugin, directory)}</td>` : ''}<td>${yesNo(plugin.enabled)}</td></tr>`,
  )}</tbody>
</table>`;
}
