import { html, type SafeHtml } from '../../html.js';
import type { ConsolePage } from '../../page.js';
import { breadcrumbs, gatewayPage, idParam, writeForm } from './shared.js';

/**
 * The "New …" and "Edit …" pages of an entity whose whole form is one `writeForm`
 * (services, consumers): the Admin API collection names the paths, the entity's form
 * fills the page.
 */

export interface FormEntity<T extends { id: string }> {
  /** The Admin API collection and the console's path segment: `services`. */
  collection: string;
  /** `service`: in titles and labels, and the form's id. */
  noun: string;
  /** `Services`: the breadcrumb to the list. */
  plural: string;
  name(entity: T): string;
  /** The form's fields, empty for a new entity. */
  form(formId: string, entity: T | undefined): SafeHtml;
}

export function newEntityPage<T extends { id: string }>(entity: FormEntity<T>): ConsolePage {
  const list = `/gateway/${entity.collection}`;
  const title = `New ${entity.noun}`;
  return gatewayPage({
    path: `${list}/new`,
    title,
    permission: 'gateway:write',
    render({ csrf }) {
      return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: list, label: entity.plural }, { label: title }])}
<h1>${title}</h1>
${writeForm({ id: entity.noun, path: `/${entity.collection}`, method: 'POST', then: `${list}/{id}`, csrf, submitLabel: `Create ${entity.noun}`, cancel: list, body: entity.form(entity.noun, undefined) })}`;
    },
  });
}

export function editEntityPage<T extends { id: string }>(entity: FormEntity<T>): ConsolePage {
  const list = `/gateway/${entity.collection}`;
  return gatewayPage({
    path: `${list}/:id/edit`,
    title: `Edit ${entity.noun}`,
    permission: 'gateway:write',
    async render(context) {
      const stored = await context.admin.get<T>(`/${entity.collection}/${idParam(context)}`);
      const name = entity.name(stored);
      const detail = `${list}/${stored.id}`;
      return html`${breadcrumbs([{ href: '/gateway', label: 'Gateway' }, { href: list, label: entity.plural }, { href: detail, label: name }, { label: 'Edit' }])}
<h1>Edit ${entity.noun} “${name}”</h1>
${writeForm({
  id: entity.noun,
  path: `/${entity.collection}/${stored.id}`,
  method: 'PATCH',
  then: detail,
  csrf: context.csrf,
  submitLabel: `Save ${entity.noun}`,
  cancel: detail,
  emptyMeansNull: true,
  body: entity.form(entity.noun, stored),
})}`;
    },
  });
}
