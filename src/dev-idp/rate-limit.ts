/**
 * Okta-style rate limiting for the Management API slice: a fixed one-minute window per
 * bucket (API token), reported on every answer as X-Rate-Limit-Limit/-Remaining/-Reset.
 */

export interface RateLimitState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

const WINDOW_MS = 60_000;

export class FixedWindowRateLimiter {
  readonly #buckets = new Map<string, { windowStart: number; count: number }>();

  take(bucket: string, limit: number, now = Date.now()): RateLimitState {
    const windowStart = now - (now % WINDOW_MS);
    let state = this.#buckets.get(bucket);
    if (!state || state.windowStart !== windowStart) {
      state = { windowStart, count: 0 };
      this.#buckets.set(bucket, state);
    }
    const allowed = state.count < limit;
    if (allowed) state.count += 1;
    return {
      allowed,
      limit,
      remaining: Math.max(0, limit - state.count),
      reset: Math.ceil((windowStart + WINDOW_MS) / 1000),
    };
  }
}

export function rateLimitHeaders(state: Pick<RateLimitState, 'limit' | 'remaining' | 'reset'>): Record<string, string> {
  return {
    'X-Rate-Limit-Limit': String(state.limit),
    'X-Rate-Limit-Remaining': String(state.remaining),
    'X-Rate-Limit-Reset': String(state.reset),
  };
}
