import { setTimeout as sleep } from 'node:timers/promises';
import * as client from 'openid-client';
import type { SessionStore } from '../../../sessions/store.js';
import { needsRefresh, nowSeconds, type OidcSession, type SessionTokens } from './session-record.js';
import { TokenRejected } from '../../../oidc/token-verification.js';

export type RefreshOutcome =
  /** New tokens (or another request's new tokens), ready to use. */
  | { kind: 'refreshed'; session: OidcSession }
  /** The provider refused the refresh token, or the session ended meanwhile: the session is over. */
  | { kind: 'ended' }
  /** The provider could not be asked (down, slow, rate-limited): keep the session, try later. */
  | { kind: 'unavailable' }
  /** Another process is renewing the tokens right now; the current ones are still valid. */
  | { kind: 'pending' };

/**
 * Refreshes in flight, by session id, for the whole process: every plugin instance
 * and every configuration snapshot shares them, so a session is refreshed once
 * however many routes and requests need it at the same moment. (Refresh tokens may
 * be single-use: a second refresh with the same token would fail and end the session.)
 */
const inFlight = new Map<string, Promise<RefreshOutcome>>();

export function refreshOnce(sid: string, refresh: () => Promise<RefreshOutcome>): Promise<RefreshOutcome> {
  const running = inFlight.get(sid);
  if (running) return running;
  const started = refresh();
  inFlight.set(sid, started);
  void started.then(
    () => inFlight.delete(sid),
    () => inFlight.delete(sid),
  );
  return started;
}

/**
 * Only a refusal of the grant itself ends a session (`invalid_grant`, or refreshed
 * tokens that fail validation). Timeouts, 5xx and 429 leave it alone: an outage or
 * a rate limit must not sign everybody out.
 */
export function endsSession(error: unknown): boolean {
  if (error instanceof TokenRejected) return true;
  return error instanceof client.ResponseBodyError && error.error === 'invalid_grant';
}

/** How often a process waiting for another's refresh looks at the store. */
const WAIT_STEP_MS = 50;

/**
 * Refreshes across processes. `refreshOnce` shares a refresh within one process; workers
 * are several processes over one store, and two of them renewing the same session at
 * once would present the same refresh token twice — with rotation (Okta's refresh token
 * rotation, oidc-provider's) the second use fails, and may revoke the grant. So the
 * refresh runs under a short lease in the shared store (SQLite: one statement decides),
 * and whoever holds it first reads the record again: another process may have renewed
 * the tokens already, and the refresh token to use is the newest one stored. A process
 * that finds the lease taken keeps using a still-valid access token, or waits (briefly
 * polling the store) for the holder's result when the token is spent. The lease expires
 * by itself (the provider timeout plus a margin), so a holder that dies blocks nobody.
 * A lease rather than routing refreshes through the primary: refreshes are rare (not
 * the per-request path), and the store is already shared by every process.
 */
export async function refreshExclusively(options: {
  sessions: SessionStore;
  /** The session's id in the store. */
  key: string;
  current: OidcSession;
  leaseMs: number;
  /** Renews from `latest`, the newest record the store holds. */
  refresh: (latest: OidcSession) => Promise<RefreshOutcome>;
}): Promise<RefreshOutcome> {
  const { sessions, key, current } = options;
  const fresh = (): Promise<OidcSession | undefined> => sessions.get<OidcSession>(key, { fresh: true });
  const deadline = Date.now() + options.leaseMs;
  for (;;) {
    const lease = await sessions.lease(`refresh:${key}`, options.leaseMs);
    if (lease) {
      try {
        const latest = await fresh();
        if (!latest) return { kind: 'ended' };
        if (latest.tokens.obtained_at > current.tokens.obtained_at && !needsRefresh(latest.tokens)) {
          return { kind: 'refreshed', session: latest };
        }
        return await options.refresh(latest);
      } finally {
        await lease.release().catch(() => undefined);
      }
    }
    if (!isSpent(current.tokens) || Date.now() >= deadline) return { kind: 'pending' };
    await sleep(WAIT_STEP_MS);
    const latest = await fresh();
    if (!latest) return { kind: 'ended' };
    if (latest.tokens.obtained_at > current.tokens.obtained_at) return { kind: 'refreshed', session: latest };
  }
}

/** The access token has expired (not merely due for renewal). */
export function isSpent(tokens: SessionTokens, now = nowSeconds()): boolean {
  return tokens.expires_at !== undefined && tokens.expires_at <= now;
}
