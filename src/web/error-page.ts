import { escapeHtml } from './html.js';

/**
 * The one way Gatehouse shows a browser that something was refused or failed: a heading,
 * the message as an alert, and the error code for people to quote. The console puts it
 * in its own layout (its stylesheet styles the classes); listeners without a layout
 * answer with the whole document, which needs no asset, script or external style.
 */

export interface ErrorPage {
  /** The document's title; default the heading. */
  title?: string;
  heading: string;
  /** Plain text, escaped here. */
  message: string;
  /** The stable code (`GH-…`), when there is one. */
  code?: string | undefined;
}

const STYLE =
  'body{font-family:system-ui,sans-serif;margin:4rem auto;max-width:36rem;color:#222}' +
  '.notice-code,code{color:#666}';

/**
 * The page's content, for a layout's `<main>`. `more` is markup written by the caller
 * (a link back, say), placed after the message; never data.
 */
export function errorPageContent(page: ErrorPage, more = ''): string {
  const code = page.code ? `\n  <p class="notice-code">Error code: <code>${escapeHtml(page.code)}</code></p>` : '';
  return (
    `<h1>${escapeHtml(page.heading)}</h1>\n<div class="notice notice--error" role="alert">\n` +
    `  <p>${escapeHtml(page.message)}</p>${code}${more ? `\n  ${more}` : ''}\n</div>`
  );
}

/** The whole document: for the gateway, the sign-in routes and plugins, which have no layout. */
export function errorPage(page: ErrorPage): string {
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<title>${escapeHtml(page.title ?? page.heading)}</title><style>${STYLE}</style></head>` +
    `<body><main>\n${errorPageContent(page)}\n</main></body></html>\n`
  );
}
