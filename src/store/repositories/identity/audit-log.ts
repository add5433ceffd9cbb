import type { AuditEntry } from '../../../model/identity.js';
import { decodeCursor, encodeCursor, pageSize, type Page, type PageRequest } from '../shared.js';
import { sql } from 'kysely';
import { escapeLike, likeEscaped, timeOrderedId, type Db } from './shared.js';

/**
 * The audit log: who did what, when, with which outcome. Entries outlive the
 * organization they concern (no foreign key). `details` never holds secrets: callers
 * pass only names of changed secret fields, never their values.
 */

export interface AuditRecord {
  id: string;
  organization_id: string | null;
  actor: { type: AuditEntry['actor']['type']; id: string | null; label: string | null };
  action: string;
  target: { type: string; id: string } | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  details: Record<string, unknown> | null;
  created_at: number;
}

export interface AuditFilter {
  /** Exact action (`identity.test`), or a prefix ending in `.` or `*` (`identity.`). */
  action?: string | undefined;
  /** The actor's id or label (a user id, an email). */
  actor?: string | undefined;
  outcome?: 'success' | 'failure' | undefined;
  /** Epoch seconds, inclusive. */
  since?: number | undefined;
  /** Epoch seconds, inclusive. */
  until?: number | undefined;
}

export async function writeAudit(db: Db, entry: AuditEntry): Promise<AuditRecord> {
  const now = Date.now();
  const row = {
    id: timeOrderedId(now),
    organization_id: entry.organization_id,
    actor_type: entry.actor.type,
    actor_id: entry.actor.id ?? null,
    actor_label: entry.actor.label ?? null,
    action: entry.action,
    target_type: entry.target?.type ?? null,
    target_id: entry.target?.id ?? null,
    outcome: entry.outcome,
    reason: entry.reason ?? null,
    details: entry.details ? JSON.stringify(entry.details) : null,
    created_at: Math.floor(now / 1000),
  };
  await db.insertInto('audit_log').values(row).execute();
  return fromRow(row);
}

function fromRow(row: {
  id: string;
  organization_id: string | null;
  actor_type: AuditEntry['actor']['type'];
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'success' | 'failure';
  reason: string | null;
  details: string | null;
  created_at: number;
}): AuditRecord {
  return {
    id: row.id,
    organization_id: row.organization_id,
    actor: { type: row.actor_type, id: row.actor_id, label: row.actor_label },
    action: row.action,
    target: row.target_type !== null && row.target_id !== null ? { type: row.target_type, id: row.target_id } : null,
    outcome: row.outcome,
    reason: row.reason,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
    created_at: row.created_at,
  };
}


/** One page of an organization's entries, newest first, narrowed by the filter. */
export async function queryAudit(db: Db, organizationId: string | null, filter: AuditFilter, request: PageRequest): Promise<Page<AuditRecord>> {
  const size = pageSize(request.size);
  let query = db.selectFrom('audit_log').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(size + 1);
  query = organizationId === null ? query.where('organization_id', 'is', null) : query.where('organization_id', '=', organizationId);
  if (request.offset) {
    const cursor = decodeCursor(request.offset);
    query = query.where((eb) =>
      eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]),
    );
  }
  if (filter.action) {
    const prefix = filter.action.endsWith('*') ? filter.action.slice(0, -1) : filter.action.endsWith('.') ? filter.action : undefined;
    if (prefix !== undefined) {
      query = query.where(likeEscaped(sql`${sql.ref('action')}`, `${escapeLike(prefix)}%`));
    } else {
      query = query.where('action', '=', filter.action);
    }
  }
  if (filter.actor) {
    const actor = filter.actor;
    query = query.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_label', '=', actor)]));
  }
  if (filter.outcome) query = query.where('outcome', '=', filter.outcome);
  if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
  if (filter.until !== undefined) query = query.where('created_at', '<=', filter.until);
  const rows = await query.execute();
  const more = rows.length > size;
  const kept = more ? rows.slice(0, size) : rows;
  return { data: kept.map(fromRow), offset: more ? encodeCursor(kept[kept.length - 1]!) : null };
}
