import type { AuditEntry } from './identity.js';

/** Who did something, as the audit log records it. */
export type AuditActor = AuditEntry['actor'];

/** What happened, besides who did it and where: what it concerned, how it ended. */
export interface AuditEvent {
  target?: { type: string; id: string } | null;
  /** Default `success`; a `failure` says why in `reason`. */
  outcome?: 'success' | 'failure';
  reason?: string | null;
  /** Never secrets: the store does not filter them (see `describeChanges`). */
  details?: Record<string, unknown> | null;
}

/**
 * The audit entry for `action` done by `actor` in an organization (`null`: none). Every
 * writer of the audit log, the store's own included, builds its entry here, so an entry
 * has one shape wherever it is written.
 */
export function auditEntry(actor: AuditActor, organizationId: string | null, action: string, event: AuditEvent = {}): AuditEntry {
  return {
    organization_id: organizationId,
    actor,
    action,
    target: event.target ?? null,
    outcome: event.outcome ?? 'success',
    reason: event.reason ?? null,
    details: event.details ?? null,
  };
}
