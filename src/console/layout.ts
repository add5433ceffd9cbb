import type { Assets } from './assets.js';
import { csrfField } from './forms.js';
import { html, type SafeHtml } from './html.js';
import { NAVIGATION } from './navigation.js';
import type { SignedIn } from './signed-in.js';

/**
 * The document around every console page: one stylesheet, one script module, a skip
 * link, landmarks (`header`, `nav`, `main`) and the CSRF token for scripts. Pages
 * render only what goes inside `<main>`.
 */

export interface LayoutOptions {
  title: string;
  assets: Assets;
  csrf: string;
  content: SafeHtml;
  /** The person signed in: the header shows them with a sign-out button, and the navigation is shown. */
  signedIn?: SignedIn | undefined;
  /** The path of the page shown, marked in the navigation. */
  current?: string | undefined;
  /** Paths that have a page (a navigation entry links only to those). */
  pages?: ReadonlySet<string> | undefined;
  /** Extra script modules (asset names) after `console.js`. */
  scripts?: readonly string[] | undefined;
}

export function layout(options: LayoutOptions): SafeHtml {
  const { signedIn } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${options.csrf}">
<title>${options.title} · Gatehouse</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${options.assets.url('console.css')}">
<script type="module" src="${options.assets.url('console.js')}"></script>
${(options.scripts ?? []).map((name) => html`<script type="module" src="${options.assets.url(name)}"></script>
`)}</head>
<body>
<a class="skip-link" href="#main">Skip to content</a>
<header class="topbar">
  <a class="brand" href="${signedIn ? '/home' : '/'}">Gatehouse</a>
  ${signedIn ? html`<span class="topbar-org">${signedIn.organization.name}</span>
  <div class="topbar-user">
    <span>${signedIn.user.name ?? signedIn.user.email}</span>
    <form method="post" action="/sign-out">${csrfField(options.csrf)}<button type="submit" class="button button--quiet">Sign out</button></form>
  </div>` : ''}
</header>
<div class="${signedIn ? 'shell' : 'shell shell--single'}">
  ${signedIn ? navigation(signedIn, options.current, options.pages ?? new Set()) : ''}
  <main id="main" tabindex="-1">
${options.content}
  </main>
</div>
</body>
</html>
`;
}

function navigation(signedIn: SignedIn, current: string | undefined, pages: ReadonlySet<string>): SafeHtml {
  const entries = NAVIGATION.filter((entry) => !entry.permission || signedIn.permissions.has(entry.permission));
  return html`<nav class="sidebar" aria-label="Console">
    <ul>
      ${entries.map((entry) =>
        pages.has(entry.path)
          ? html`<li><a href="${entry.path}"${entry.path === current ? html` aria-current="page"` : ''}>${entry.label}</a></li>`
          : html`<li><span class="soon">${entry.label} <small>coming soon</small></span></li>`,
      )}
    </ul>
  </nav>`;
}
