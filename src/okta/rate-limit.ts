import { setTimeout as delay } from 'node:timers/promises';

/**
 * Okta's rate-limit headers, sent on every Management API answer:
 *
 *   X-Rate-Limit-Limit:     requests allowed in the current window (per endpoint family)
 *   X-Rate-Limit-Remaining: requests left in it
 *   X-Rate-Limit-Reset:     when the window resets, in epoch seconds *on Okta's clock*
 *
 * Okta's clock and ours differ, so the reset is converted to local time through the
 * answer's `Date` header when there is one (the way Okta's own SDKs compute back-off).
 */
export interface OktaRateLimit {
  limit: number;
  remaining: number;
  /** Local time at which the window resets. */
  resetAt: Date;
  /** Local time at which these headers were read. */
  observedAt: Date;
}

function headerInteger(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** The rate-limit state an answer reports, or undefined when it lacks the headers. */
export function readRateLimit(headers: Headers, now: number = Date.now()): OktaRateLimit | undefined {
  const limit = headerInteger(headers, 'x-rate-limit-limit');
  const remaining = headerInteger(headers, 'x-rate-limit-remaining');
  const reset = headerInteger(headers, 'x-rate-limit-reset');
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  // `Date` has one-second precision and is truncated, so the wait computed from it errs
  // on the long side, which is the safe side.
  const serverDate = Date.parse(headers.get('date') ?? '');
  const serverNow = Number.isNaN(serverDate) ? now : serverDate;
  return {
    limit,
    remaining,
    resetAt: new Date(now + (reset * 1000 - serverNow)),
    observedAt: new Date(now),
  };
}

/** Extra wait after the announced reset, so the retry does not land a hair before it. */
export const RESET_MARGIN_MS = 250;

/**
 * How long to wait before retrying after a 429: until the window resets plus a small
 * margin (and never less than the margin), but never more than `maxWaitMs`. Without
 * usable headers, exponential back-off from one second (attempt 0 → 1 s, 1 → 2 s, …).
 */
export function retryDelayMs(rateLimit: OktaRateLimit | undefined, attempt: number, maxWaitMs: number, now: number = Date.now()): number {
  const wanted = rateLimit ? rateLimit.resetAt.getTime() - now + RESET_MARGIN_MS : 1000 * 2 ** attempt;
  // At least the margin: a reset already past (clock skew, a window that just turned)
  // still should not turn the retries into a burst.
  return Math.min(Math.max(wanted, RESET_MARGIN_MS), maxWaitMs);
}

/** Sleeps `ms`, ending early with the signal's reason when it aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await delay(ms, undefined, signal ? { signal } : undefined);
}
