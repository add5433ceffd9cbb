import type { AuditActor } from '../model/audit.js';

/**
 * Who did something, as the audit log records it, and how changes are described
 * without ever writing a secret: secret fields appear by name only ("client_secret
 * changed"), never with their values. The entry itself is built by `auditEntry`
 * (src/model/audit.ts).
 */

/** The `gatehouse` command line (`gatehouse org create`). */
export const CLI_ACTOR: AuditActor = { type: 'system', id: null, label: 'gatehouse CLI' };

/** The bootstrap token `GATEHOUSE_ADMIN_TOKEN` (automation; no user behind it). */
export const BOOTSTRAP_ACTOR: AuditActor = { type: 'bootstrap', id: null, label: 'GATEHOUSE_ADMIN_TOKEN' };

/** Okta sign-in (src/sign-in/) and the accounts it provisions. */
export const SIGN_IN_ACTOR: AuditActor = { type: 'system', id: null, label: 'sign-in' };

/** The background group sync (src/identity/group-sync.ts). */
export const GROUP_SYNC_ACTOR: AuditActor = { type: 'system', id: null, label: 'group sync' };

/** A user acting through a console session (`user`) or one of their personal access tokens (`token`). */
export function userActor(user: { id: string; email: string }, via: 'session' | 'token'): AuditActor {
  return { type: via === 'token' ? 'token' : 'user', id: user.id, label: user.email };
}

/**
 * The fields that differ between `before` and `after`: non-secret fields with their
 * old and new values, secret fields by name only (`"set"`, `"changed"`, `"cleared"`).
 */
export function describeChanges(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
  secretFields: readonly string[] = [],
): { changed: string[]; values: Record<string, { from: unknown; to: unknown }>; secrets: Record<string, 'set' | 'changed' | 'cleared'> } {
  const changed: string[] = [];
  const values: Record<string, { from: unknown; to: unknown }> = {};
  const secrets: Record<string, 'set' | 'changed' | 'cleared'> = {};
  for (const key of Object.keys(after)) {
    const from = before?.[key] ?? null;
    const to = after[key] ?? null;
    if (JSON.stringify(from) === JSON.stringify(to)) continue;
    changed.push(key);
    if (secretFields.includes(key)) secrets[key] = to === null ? 'cleared' : from === null ? 'set' : 'changed';
    else values[key] = { from, to };
  }
  return { changed, values, secrets };
}
