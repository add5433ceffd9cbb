import type { ConsumerEntity, PluginEntity } from '../../../model/gateway.js';
import { when } from '../../format.js';
import { html } from '../../html.js';
import type { ConsolePage } from '../../page.js';
import { consumerFormBody } from './entity-forms.js';
import { editEntityPage, newEntityPage, type FormEntity } from './entity-pages.js';
import { pluginTable } from './plugin-tables.js';
import {
  breadcrumbs,
  canWrite,
  codeList,
  consumerName,
  deleteControl,
  detailHeader,
  gatewayPage,
  gatewayTabs,
  idParam,
  listAll,
  loadDirectory,
} from './shared.js';

/** Consumers: the clients (people or applications) authentication plugins map requests to. */

const CONSUMER: FormEntity<ConsumerEntity> = { collection: 'consumers', noun: 'consumer', plural: 'Consumers', name: consumerName, form: consumerFormBody };

export const consumersPage = gatewayPage({
  path: '/gateway/consumers',
  title: 'Consumers',
  permission: 'gateway:read',
  async render({ signedIn, admin }) {
    const consumers = await listAll<ConsumerEntity>(admin, '/consumers');
    return html`<h1>Gateway</h1>
${gatewayTabs('/gateway/consumers')}
<div class="gw-heading"><h2>Consumers</h2>${canWrite(signedIn) ? html`<a class="button button--primary" href="/gateway/consumers/new">New consumer</a>` : ''}</div>
<p class="lead">A consumer stands for a client of your services. The openid-connect plugin maps signed-in people to consumers by a claim (its “Consumer claim” field); upstreams receive X-Consumer-Username and X-Consumer-Custom-ID.</p>
${consumers.length === 0
  ? html`<p class="card">No consumers yet.${canWrite(signedIn) ? html` <a href="/gateway/consumers/new">Create the first one</a>.` : ''}</p>`
  : html`<table class="gw-table">
  <caption class="gw-visually-hidden">Consumers</caption>
  <thead><tr><th scope="col">Username</th><th scope="col">Custom ID</th><th scope="col">Tags</th></tr></thead>
  <tbody>${consumers.map(
    (consumer) =>
      html`<tr><th scope="row"><a href="/gateway/consumers/${consumer.id}">${consumer.username ?? html`<span class="gw-muted">(none)</span>`}</a></th><td>${consumer.custom_id ?? html`<span class="gw-muted">(none)</span>`}</td><td>${codeList(consumer.tags)}</td></tr>`,
  )}</tbody>
</table>`}`;
  },
});

export const newConsumerPage = newEntityPage(CONSUMER);

export const consumerDetailPage = gatewayPage({
  path: '/gateway/consumers/:id',
  title: 'Consumer',
  permission: 'gateway:read',
  async render(context) {
    const { admin, signedIn, csrf } = context;
    const consumer = await admin.get<ConsumerEntity>(`/consumers/${idParam(context)}`);
    const [plugins, directory] = await Promise.all([listAll<PluginEntity>(admin, `/consumers/${consumer.id}/plugins`), loadDirectory(admin)]);
    const name = consumerName(consumer);
    const controls = canWrite(signedIn)
      ? html`<a class="button" href="/gateway/consumers/${consumer.id}/edit">Edit</a>
${deleteControl({ id: 'delete-consumer', what: `consumer “${name}”`, consequence: 'Requests will no longer be mapped to it; its plugins are deleted with it.', path: `/consumers/${consumer.id}`, then: '/gateway/consumers', csrf })}`
      : undefined;
    return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: '/gateway/consumers', label: 'Consumers' }, { label: name }])}
${detailHeader(html`Consumer “${name}”`, controls)}
<section class="card" aria-labelledby="consumer-facts">
  <h2 id="consumer-facts">Identity</h2>
  <dl class="facts">
    <dt>Username</dt><dd>${consumer.username ?? html`<span class="gw-muted">Not set</span>`}</dd>
    <dt>Custom ID</dt><dd>${consumer.custom_id ?? html`<span class="gw-muted">Not set</span>`}</dd>
    <dt>Tags</dt><dd>${codeList(consumer.tags)}</dd>
    <dt>ID</dt><dd><code>${consumer.id}</code></dd>
    <dt>Updated</dt><dd>${when(consumer.updated_at)}</dd>
  </dl>
</section>
<section class="card" aria-labelledby="consumer-plugins">
  <h2 id="consumer-plugins">Plugins for this consumer</h2>
  <p class="hint">Added from a route’s or a service’s “Add plugin”, choosing this consumer. Gatehouse stores consumer-scoped plugins but does not apply them yet.</p>
  ${pluginTable(plugins, 'No plugin is scoped to this consumer.', directory)}
</section>`;
  },
});

export const editConsumerPage = editEntityPage(CONSUMER);

export const CONSUMER_PAGES: readonly ConsolePage[] = [consumersPage, newConsumerPage, consumerDetailPage, editConsumerPage];
