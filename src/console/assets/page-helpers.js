// @ts-check
/**
 * What the Identity Management and Role mapping scripts share: a notice that survives the
 * reload after a change (the reloaded page is the server's rendering of the new state;
 * the notice says what just happened), and a message in a form's alert.
 */

const NOTICE_KEY = 'gatehouse:notice';

/**
 * Reloads the page, then shows `text` in its notice region (`#page-notice`).
 * @param {string} text
 */
export function reloadWithNotice(text) {
  try {
    sessionStorage.setItem(NOTICE_KEY, JSON.stringify({ path: location.pathname, text }));
  } catch {
    // Storage refused (private mode quotas): the reloaded page still shows the new state.
  }
  location.reload();
}

/** Shows the notice a change left for this page, once. */
export function showStoredNotice() {
  let stored;
  try {
    stored = sessionStorage.getItem(NOTICE_KEY);
    sessionStorage.removeItem(NOTICE_KEY);
  } catch {
    return;
  }
  if (!stored) return;
  /** @type {{ path?: unknown, text?: unknown }} */
  let notice;
  try {
    notice = JSON.parse(stored);
  } catch {
    return;
  }
  const region = document.getElementById('page-notice');
  if (!region || notice.path !== location.pathname || typeof notice.text !== 'string') return;
  // The region is in the page from the start (empty, unstyled), so filling it is announced.
  region.textContent = notice.text;
  region.classList.add('notice');
}

/**
 * Shows a message in a form's alert region (`formAlert` markup) without touching fields.
 * @param {HTMLElement | null} alert
 * @param {string} message
 */
export function showAlert(alert, message) {
  if (!alert) return;
  alert.textContent = message;
  alert.hidden = message === '';
}
