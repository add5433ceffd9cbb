import { escapeHtml } from '../web/html.js';

/**
 * The stand-in's HTML: the sign-in form and the error and signed-out pages. Plain HTML with
 * inline CSS and no scripts or external assets, so it works offline and under any CSP, and
 * the test browser (a cookie jar and a form parser) can drive it.
 */

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f4f5f7;margin:0;color:#1d1d21}
main{max-width:360px;margin:64px auto;background:#fff;border:1px solid #d7d9dd;border-radius:6px;padding:32px 40px}
h1{font-size:20px;font-weight:600;margin:0 0 4px}
p.sub{color:#6e6e78;margin:0 0 24px;font-size:14px}
label{display:block;font-size:14px;font-weight:600;margin:16px 0 6px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:10px;border:1px solid #8c8c96;border-radius:4px;font-size:15px}
button{margin-top:24px;width:100%;padding:11px;border:0;border-radius:4px;background:#1662dd;color:#fff;font-size:15px;font-weight:600;cursor:pointer}
.error{background:#fff0f0;border:1px solid #e72500;color:#a31b00;border-radius:4px;padding:10px 12px;font-size:14px}
footer{color:#6e6e78;font-size:12px;margin-top:24px}
code{font-size:13px}`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
<footer>Gatehouse dev IdP — an Okta stand-in for development and tests.</footer>
</main>
</body>
</html>`;
}

export interface SignInPageOptions {
  /** Where the form posts (the interaction URL). */
  action: string;
  /** Prefilled username (login_hint or the previous attempt). */
  username?: string;
  /** Shown above the form, e.g. after a wrong password. */
  error?: string;
  /** The app the user signs in to. */
  clientId?: string;
}

/** The error text Okta's sign-in widget shows for any failed primary authentication. */
export const SIGN_IN_FAILED_MESSAGE = 'Unable to sign in';

export function renderSignInPage(options: SignInPageOptions): string {
  const error = options.error ? `<p class="error" role="alert" id="sign-in-error">${escapeHtml(options.error)}</p>` : '';
  const app = options.clientId ? `<p class="sub">to continue to <code>${escapeHtml(options.clientId)}</code></p>` : '<p class="sub">&nbsp;</p>';
  return layout(
    'Sign In',
    `<h1>Sign In</h1>
${app}
${error}
<form method="post" action="${escapeHtml(options.action)}" id="sign-in-form">
<label for="username">Username</label>
<input type="text" id="username" name="username" autocomplete="username" autofocus required value="${escapeHtml(options.username ?? '')}">
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Sign In</button>
</form>`,
  );
}

export function renderErrorPage(error: string, description?: string): string {
  return layout(
    'Error',
    `<h1>Something went wrong</h1>
<p class="error" role="alert"><strong id="error">${escapeHtml(error)}</strong>${description ? `: <span id="error_description">${escapeHtml(description)}</span>` : ''}</p>`,
  );
}

export function renderHomePage(options: { issuers: string[]; logins: string[]; signedOut?: boolean }): string {
  const issuers = options.issuers.map((issuer) => `<li><code>${escapeHtml(issuer)}</code></li>`).join('');
  const logins = options.logins.map((login) => `<li><code>${escapeHtml(login)}</code></li>`).join('');
  return layout(
    'Gatehouse dev IdP',
    `<h1>${options.signedOut ? 'You are signed out' : 'Gatehouse dev IdP'}</h1>
<p class="sub">Issuers</p><ul>${issuers}</ul>
<p class="sub">Users</p><ul>${logins}</ul>`,
  );
}
