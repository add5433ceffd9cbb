/**
 * Notices between processes that keep sessions in memory.
 *
 * Every process keeps a memory tier in front of the shared backend (SessionStore in
 * src/sessions/store.ts), so the proxied request path never queries it. A process
 * that ends a session (logout, deactivation, back-channel logout, a role change, the
 * group sync) or rewrites one (refreshed tokens, the idle clock) removes its own copy;
 * the others would keep serving theirs. This says to them: drop these records, they
 * will read the backend again on next use.
 *
 * Endings are awaited: `publish` resolves once every other process has dropped its copy
 * (or a timeout passed), so a logout is answered only when no process still honours the
 * session. Rewrites need not wait (`wait: false`): a copy a moment stale is harmless
 * there, and the session writes that rewrite records are on the request path.
 */
export interface SessionNotice {
  /** Record ids (with their prefix, as stored) to drop; a removal by subject names the ids it removed. */
  ids: string[];
}

export interface SessionEvents {
  /** Tells the other processes; resolves when they have applied it (when `wait`), or at once. */
  publish(notice: SessionNotice, options: { wait: boolean }): Promise<void>;
  /** Where this process's notices from the others go (one subscriber: the session store). */
  subscribe(apply: (notice: SessionNotice) => void): void;
}

/** One process: nobody else holds a copy. */
export const localSessionEvents: SessionEvents = {
  publish: async () => undefined,
  subscribe: () => undefined,
};
