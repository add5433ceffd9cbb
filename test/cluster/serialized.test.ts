import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serialized } from '../../src/runtime.js';

describe('serialized (configuration reloads)', () => {
  it('never overlaps runs, and a call during a run gets a run that starts after it', async () => {
    const events: string[] = [];
    let release: (() => void) | undefined;
    let runs = 0;
    const reload = serialized(async () => {
      const run = ++runs;
      events.push(`start ${run}`);
      await new Promise<void>((resolve) => (release = resolve));
      events.push(`end ${run}`);
    });
    const first = reload();
    const second = reload();
    const third = reload();
    assert.equal(second, third, 'calls during a run share the next run');
    release!();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    release!();
    await second;
    assert.deepEqual(events, ['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('runs again after a failed run', async () => {
    let calls = 0;
    const reload = serialized(async () => {
      calls += 1;
      if (calls === 1) throw new Error('store unavailable');
    });
    await assert.rejects(reload(), /store unavailable/);
    await reload();
    assert.equal(calls, 2);
  });
});
