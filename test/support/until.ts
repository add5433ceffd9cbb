import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `probe` until it answers something other than undefined; fails with `what` after
 * `timeoutMs`. The deadline is on the monotonic clock: a test may have stopped `Date`
 * (see clock.ts).
 */
export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
