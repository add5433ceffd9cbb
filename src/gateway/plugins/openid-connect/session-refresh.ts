import * as client from 'openid-client';
import type { OidcSession } from './session-record.js';
import { TokenRejected } from '../../../oidc/token-verification.js';

export type RefreshOutcome =
  /** New tokens (or another request's new tokens), ready to use. */
  | { kind: 'refreshed'; session: OidcSession }
  /** The provider refused the refresh token: the session is over. */
  | { kind: 'ended' }
  /** The provider could not be asked (down, slow, rate-limited): keep the session, try later. */
  | { kind: 'unavailable' };

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
