// @ts-check
/**
 * Role mapping (src/console/pages/role-mapping.ts): adding a rule (with Okta group
 * suggestions for its group field, and what it changed for people), removing one after a
 * confirmation, and creating a custom role.
 *
 * The forms are sent here rather than as `data-api` forms because a duplicate is
 * answered in Kong's unique-violation shape, whose `fields` hold the clashing values, not
 * messages: shown as they are, the group field would read "service_admin". This script
 * says what clashed instead.
 */
import { api, clearErrors, formJson, showErrors } from './console.js';
import { reloadWithNotice, showAlert, showStoredNotice } from './page-helpers.js';

/**
 * @typedef {{ user_id: string, email: string, added: string[], removed: string[] }} UserChange
 * @typedef {{ group: string, role_name: string, users_changed?: UserChange[] }} MappingAnswer
 * @typedef {{ name: string, description: string | null, mapped_roles: string[] }} GroupSuggestion
 */

showStoredNotice();
wireAddRule();
wireRemoveRule();
wireCreateRole();

// ---------------------------------------------------------------------------------
// Adding a rule

function wireAddRule() {
  const form = document.getElementById('add-rule');
  if (!(form instanceof HTMLFormElement)) return;
  sendOnSubmit(form, (body) => {
    const mapping = /** @type {MappingAnswer} */ (body);
    reloadWithNotice(`Rule added: members of “${mapping.group}” get ${mapping.role_name}. ${describeChanges(mapping.users_changed ?? [])}`);
  }, (sent) => ({ field: 'group', message: `“${String(sent.group)}” is mapped to this role already` }));
  if (form.dataset.suggest) wireSuggestions(form, form.dataset.suggest);
}

/**
 * Sends a form's fields as JSON to its `data-path` (POST) and shows the Admin API's
 * errors on it; `done` gets the answer. `duplicate` turns a unique-violation answer into
 * an error that says what clashed.
 * @param {HTMLFormElement} form
 * @param {(body: any) => void} done
 * @param {(sent: Record<string, unknown>) => { field: string, message: string }} duplicate
 */
function sendOnSubmit(form, done, duplicate) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button[type="submit"]')].filter((button) => button instanceof HTMLButtonElement);
    for (const button of buttons) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      const sent = formJson(form);
      const answer = await api('POST', form.dataset.path ?? '', sent);
      if (answer.ok) {
        clearErrors(form);
        return done(answer.body);
      }
      showErrors(form, answer.body.error_code === 'GH-ADMIN-UNIQUE' ? duplicate(sent) : answer.body);
    } finally {
      for (const button of buttons) button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
}

/**
 * What a rule change did to the people who already signed in with Okta.
 * @param {UserChange[]} changes
 */
function describeChanges(changes) {
  if (changes.length === 0) return 'Nobody’s roles changed now; members who have not signed in yet get it at their first sign-in.';
  const people = changes.map((change) => {
    const parts = [...change.added.map((role) => `+${role}`), ...change.removed.map((role) => `−${role}`)];
    return `${change.email} (${parts.join(', ')})`;
  });
  const count = changes.length === 1 ? '1 person’s roles changed' : `${changes.length} people’s roles changed`;
  return `${count}: ${people.join('; ')}. They were signed out, to sign in again with their new roles.`;
}

/**
 * Fills the group field's `<datalist>` from Okta's groups (`GET …/identity/groups?q=`), as
 * the person types. Answers that arrive after a newer request are dropped.
 * @param {HTMLFormElement} form
 * @param {string} path
 */
function wireSuggestions(form, path) {
  const input = form.elements.namedItem('group');
  const list = document.getElementById(`${form.id}-groups`);
  const status = document.getElementById(`${form.id}-suggestions`);
  if (!(input instanceof HTMLInputElement) || !list || !status) return;
  let latest = 0;
  /** @type {string | undefined} */
  let shownFor;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;

  async function suggest() {
    if (!(input instanceof HTMLInputElement) || !list || !status) return;
    const query = input.value.trim();
    if (query === shownFor) return;
    const request = ++latest;
    const answer = await api('GET', `${path}?q=${encodeURIComponent(query)}&limit=20`);
    if (request !== latest) return;
    if (!answer.ok) {
      list.replaceChildren();
      shownFor = undefined;
      status.textContent = `Suggestions from Okta are unavailable: ${answer.body.message ?? `the server answered ${answer.status}`}. You can still type the group name.`;
      return;
    }
    shownFor = query;
    /** @type {GroupSuggestion[]} */
    const groups = answer.body.data ?? [];
    list.replaceChildren(
      ...groups.map((group) => {
        const option = document.createElement('option');
        option.value = group.name;
        const mapped = group.mapped_roles.length ? `mapped to ${group.mapped_roles.join(', ')}` : '';
        option.label = [group.description ?? '', mapped].filter(Boolean).join(' · ') || group.name;
        return option;
      }),
    );
    status.textContent =
      groups.length === 0
        ? `No Okta group starts with “${query}”.`
        : `${groups.length === 1 ? '1 Okta group matches' : `${groups.length} Okta groups match`}${query ? ` “${query}”` : ''}: pick one from the list or keep typing.`;
  }

  input.addEventListener('focus', () => void suggest());
  input.addEventListener('input', () => {
    clearTimeout(timer);
    // One request per pause in typing, not per key.
    timer = setTimeout(() => void suggest(), 250);
  });
}

// ---------------------------------------------------------------------------------
// Removing a rule

function wireRemoveRule() {
  const dialog = document.getElementById('remove-rule-dialog');
  const confirm = document.getElementById('remove-rule-confirm');
  const cancel = document.getElementById('remove-rule-cancel');
  const alert = document.getElementById('remove-rule-alert');
  if (!(dialog instanceof HTMLDialogElement) || !(confirm instanceof HTMLButtonElement)) return;
  /** @type {HTMLButtonElement | undefined} */
  let opener;

  for (const button of document.querySelectorAll('button[data-remove-rule]')) {
    if (!(button instanceof HTMLButtonElement)) continue;
    button.addEventListener('click', () => {
      opener = button;
      setText('remove-rule-group', button.dataset.group ?? '');
      setText('remove-rule-role', button.dataset.role ?? '');
      showAlert(alert, '');
      // Modal: the rest of the page is inert, the focus stays in the dialog, Escape cancels.
      dialog.showModal();
    });
  }
  cancel?.addEventListener('click', () => dialog.close('cancel'));
  dialog.addEventListener('close', () => opener?.focus());
  confirm.addEventListener('click', async () => {
    if (!opener) return;
    confirm.disabled = true;
    try {
      const answer = await api('DELETE', opener.dataset.removeRule ?? '');
      const rule = `members of “${opener.dataset.group ?? ''}” no longer get ${opener.dataset.role ?? ''} from it`;
      if (answer.ok) return reloadWithNotice(`Rule removed: ${rule}. Roles were worked out again; anyone who lost a role was signed out.`);
      // Someone else removed it meanwhile: the reloaded table shows the truth.
      if (answer.status === 404) return reloadWithNotice(`The rule was already removed: ${rule}.`);
      showAlert(alert, answer.body.message ?? `The server answered ${answer.status}.`);
      alert?.focus();
    } finally {
      confirm.disabled = false;
    }
  });
}

/**
 * @param {string} id
 * @param {string} text
 */
function setText(id, text) {
  const element = document.getElementById(id);
  if (element) element.textContent = text;
}

// ---------------------------------------------------------------------------------
// Creating a custom role

function wireCreateRole() {
  const form = document.getElementById('create-role');
  if (!(form instanceof HTMLFormElement)) return;
  sendOnSubmit(
    form,
    (role) => reloadWithNotice(`Custom role “${role.name}” created: map an Okta group to it with a rule.`),
    (sent) => ({ field: 'name', message: `a role named “${String(sent.name).trim()}” exists already (built-in roles included): choose another name` }),
  );
}
