// @ts-check
/**
 * A user's page: the roles form (its checkboxes are one list, `roles`, which
 * `formJson` cannot express: it sends a checkbox as a boolean) and the
 * deactivate/reactivate form (its only field is hidden, so an error about `status`
 * belongs in the form's alert beside the button, not in a field slot nobody sees).
 */

import { api, clearErrors, showErrors } from './console.js';

/**
 * Sends a PATCH for a form, with its buttons disabled meanwhile; reloads on success
 * (the page shows the new state, rendered by the server), shows the errors otherwise.
 * @param {HTMLFormElement} form
 * @param {string} path
 * @param {Record<string, unknown>} body
 * @param {(error: import('./console.js').ErrorBody) => import('./console.js').ErrorBody} [place]
 */
async function patch(form, path, body, place = (error) => error) {
  const buttons = [...form.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  try {
    const answer = await api('PATCH', path, body);
    if (!answer.ok) return showErrors(form, place(answer.body));
    clearErrors(form);
    location.reload();
  } finally {
    for (const button of buttons) button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

for (const form of document.querySelectorAll('form[data-user-roles]')) {
  if (!(form instanceof HTMLFormElement)) continue;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const roles = [...form.querySelectorAll('input[type="checkbox"][name="roles"]')]
      .filter((input) => input instanceof HTMLInputElement && input.checked)
      .map((input) => /** @type {HTMLInputElement} */ (input).value);
    void patch(form, form.dataset.userRoles ?? '', { roles });
  });
}

for (const form of document.querySelectorAll('form[data-user-status]')) {
  if (!(form instanceof HTMLFormElement)) continue;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const status = form.elements.namedItem('status');
    void patch(form, form.dataset.userStatus ?? '', { status: status instanceof HTMLInputElement ? status.value : '' }, (error) => ({
      message: error.message,
      error_code: error.error_code,
    }));
  });
}

// A module (loaded with type="module"): nothing to export, but TypeScript needs the mark to check it as one.
export {};
