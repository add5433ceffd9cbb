import { nextPageHref } from '../format.js';
import { formAlert, formErrorsOf, type FormErrors } from '../forms.js';
import { html, type SafeHtml } from '../html.js';
import type { PageContext } from '../page.js';
import { AdminCallError, errorBodyOf } from '../upstream.js';

/**
 * What the filtered lists (Users, Audit log) share: the filter is a plain GET form
 * whose fields are the Admin API's own query arguments, so a filtered page is a
 * shareable URL that works without script, and the Admin API's `next` maps straight
 * back to a console link.
 */

/** The console query's filters, empty ones dropped, plus the paging arguments (`size`, `offset`) when present. */
export function listQuery(query: PageContext['query'], filters: Record<string, string>): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) if (value.trim() !== '') params.set(name, value);
  for (const name of ['size', 'offset']) {
    const value = query[name];
    if (value !== undefined && value !== '') params.set(name, value);
  }
  return params;
}

export interface ListAnswer<T> {
  /** Undefined when the Admin API refused the filter (errors then says why, on the fields). */
  list?: { data: T[]; next: string | null };
  errors?: FormErrors;
}

/**
 * A list read: a 400 is a mistake in the filter (a bad time, a bad cursor), to be shown
 * on the filter form; any other failure is the page runner's to show.
 */
export async function readList<T>(admin: PageContext['admin'], url: string, filterFields: readonly string[]): Promise<ListAnswer<T>> {
  const answer = await admin.call('GET', url);
  if (answer.status === 400) return { errors: formErrorsOf(errorBodyOf(answer), filterFields, 'The filter is not valid.') };
  if (answer.status < 200 || answer.status >= 300) throw new AdminCallError(answer.status, errorBodyOf(answer));
  return { list: answer.body as { data: T[]; next: string | null } };
}

/** The filter form: GET to the page itself, fields in a row, "Filter" and (when filtered) "Clear filters". */
export function filterForm(options: { id: string; path: string; label: string; filtered: boolean; errors: FormErrors | undefined; fields: SafeHtml }): SafeHtml {
  return html`<form id="${options.id}" class="filter-bar" method="get" action="${options.path}" role="search" aria-label="${options.label}">
  ${formAlert(options.id, options.errors?.form)}
  <div class="filter-fields">${options.fields}</div>
  <div class="actions">
    <button type="submit" class="button button--primary">Filter</button>
    ${options.filtered ? html`<a href="${options.path}">Clear filters</a>` : ''}
  </div>
</form>`;
}

/** "First page" (when not on it) and "Next page" (when there is one). */
export function pager(path: string, next: string | null, params: URLSearchParams, label: string): SafeHtml {
  const nextHref = nextPageHref(next, path);
  const firstParams = new URLSearchParams(params);
  firstParams.delete('offset');
  const firstHref = firstParams.toString() ? `${path}?${firstParams.toString()}` : path;
  if (!nextHref && !params.has('offset')) return html``;
  return html`<nav class="pager" aria-label="${label}">
  ${params.has('offset') ? html`<a href="${firstHref}">First page</a>` : ''}
  ${nextHref ? html`<a href="${nextHref}" rel="next">Next page</a>` : ''}
</nav>`;
}
