import { escapeHtml } from '../web/html.js';

/**
 * HTML for the console, escaped by construction: every value interpolated into an
 * `html` template is escaped unless it is itself `SafeHtml` (the result of another
 * `html` template). There is no way to insert a string unescaped except `trusted()`,
 * meant for constants written in this code base, so data from the Admin API, the
 * proxy or the request can never become markup.
 */

export class SafeHtml {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  toString(): string {
    return this.#value;
  }
}


/** Interpolation rules: `SafeHtml` as is, arrays joined, null/undefined/false as nothing, anything else escaped. */
function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.toString();
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0]!;
  for (let index = 0; index < values.length; index += 1) out += render(values[index]) + strings[index + 1]!;
  return new SafeHtml(out);
}

/** Markup written in this code base (never data): the one way around escaping. */
export function trusted(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * A URL that may go into `href`: http(s) only, so a `javascript:` or `data:` URL from
 * any source can never become a link; anything else is undefined.
 */
export function httpUrl(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
