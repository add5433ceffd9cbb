import { escapeHtml } from '../web/html.js';

/**
 * The demo's start page, at `http://localhost:8000/`: where signing out of `/demo` lands
 * (its `logout_redirect_uri`), and a map of what the demo runs. Served by the demo's echo
 * upstream behind a public route, like any page of an application behind the gateway.
 */
export function demoStartPage(urls: { proxy: string; console: string; admin: string; idp: string }): string {
  const link = (href: string, text: string) => `<a href="${escapeHtml(href)}">${escapeHtml(text)}</a>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Gatehouse demo</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}code{background:#f3f3f3;padding:0 .2em}li{margin:.4rem 0}</style>
</head><body><main>
<h1>Gatehouse demo</h1>
<p>This page is public: no plugin protects it. If you just signed out of <code>/demo</code>, you are signed out here and at the Okta stand-in.</p>
<ul>
<li>${link(`${urls.proxy}/demo`, '/demo')}: an application behind the <code>openid-connect</code> plugin (sign in as <code>alice@example.com</code> / <code>Passw0rd!</code>); ${link(`${urls.proxy}/demo/logout`, 'sign out')}.</li>
<li>${link(`${urls.proxy}/login/acme`, '/login/acme')}: organization Acme signs in with Okta (alice: Gateway Admin, bob: Viewer, carol: Viewer through one of her 120 groups), then ${link(`${urls.proxy}/app`, '/app')}, an application behind the <code>sso</code> plugin.</li>
<li>${link(urls.console, 'The console')}: Acme's users, roles, Okta settings and gateway.</li>
<li>The Admin API at <code>${escapeHtml(urls.admin)}</code>, and the Okta stand-in at <code>${escapeHtml(urls.idp)}</code>.</li>
</ul>
</main></body></html>
`;
}
