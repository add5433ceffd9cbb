import type { TestContext } from 'node:test';

export interface StoppedClock {
  /** Moves `Date` forward by `ms` at once, for every reader in this process. */
  advance(ms: number): void;
}

/**
 * Stops `Date` at `at` for the rest of the test `t`, so that the test moves time past a
 * session's timeout or a token's expiry instead of sleeping through it. Every reader of
 * `Date` in this process sees the same stopped clock: the gateway and the stand-in that
 * `startStack` runs here (not a cluster's workers: they are other processes), jose,
 * openid-client and the test's cookie jar. Timers keep running on real time, so
 * sockets, retries and polling behave as usual; `until` measures its deadline with the
 * monotonic clock for that reason. The test's mock tracker restores `Date` when the test
 * ends.
 */
export function stopClock(t: TestContext, at = Date.now()): StoppedClock {
  t.mock.timers.enable({ apis: ['Date'], now: at });
  return { advance: (ms) => t.mock.timers.tick(ms) };
}
