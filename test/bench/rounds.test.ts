import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { roundOrder, williamsCycle } from '../../bench/lib/interleave.js';
import { LatencySamples, median, summarizeRounds, type LoadRound } from '../../bench/lib/load.js';
import { processTreeCpuSeconds, procAvailable } from '../../bench/lib/processes.js';
import { roundRatio } from '../../bench/lib/report.js';

const round = (requestsPerSecond: number, cpuSeconds: number | null = 1): LoadRound => ({
  requests: requestsPerSecond * 2,
  durationSeconds: 2,
  requestsPerSecond,
  p99: 1,
  serverCpuSeconds: cpuSeconds,
  errors: 0,
  detail: { socketErrors: 0, timeouts: 0, non2xx: 0, statusCodes: { '200': requestsPerSecond * 2 } },
});

describe('bench rounds', () => {
  it('orders rounds by a Williams design: every position, and every neighbour, equally often', () => {
    for (const n of [2, 3, 5, 6, 9]) {
      const scenarios = Array.from({ length: n }, (_, index) => index);
      const cycle = williamsCycle(n);
      assert.equal(cycle, n % 2 === 0 ? n : 2 * n);
      const positions = new Map<string, number>();
      const follows = new Map<string, number>();
      for (let round = 0; round < cycle; round++) {
        const order = roundOrder(scenarios, round);
        assert.deepEqual([...order].sort((a, b) => a - b), scenarios, `round ${round} runs each scenario once`);
        order.forEach((scenario, position) => positions.set(`${scenario}@${position}`, (positions.get(`${scenario}@${position}`) ?? 0) + 1));
        for (let i = 1; i < n; i++) follows.set(`${order[i - 1]}>${order[i]}`, (follows.get(`${order[i - 1]}>${order[i]}`) ?? 0) + 1);
      }
      const each = cycle / n;
      assert.equal(positions.size, n * n, `n=${n}: every scenario in every position`);
      assert.ok([...positions.values()].every((count) => count === each), `n=${n}: equally often`);
      assert.equal(follows.size, n * (n - 1), `n=${n}: every scenario after every other`);
      assert.ok([...follows.values()].every((count) => count === cycle / n), `n=${n}: equally often`);
      assert.deepEqual(roundOrder(scenarios, cycle), roundOrder(scenarios, 0), 'the design repeats');
    }
  });

  it('takes medians, with the mean of the middle two for an even count', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('reports the median round, not a mean a single disturbed round drags', () => {
    const result = summarizeRounds([round(1000), round(200), round(1100)], new LatencySamples());
    assert.equal(result.requestsPerSecond, 1000);
    assert.equal(result.requests, 4600);
    assert.equal(result.durationSeconds, 6);
    assert.equal(result.detail.statusCodes['200'], 4600);
    // 3 CPU seconds over 4,600 requests.
    assert.ok(Math.abs(result.serverCpuMicrosPerRequest! - 3e6 / 4600) < 1e-6);
    assert.equal(summarizeRounds([round(1000), round(900, null)], new LatencySamples()).serverCpuMicrosPerRequest, null);
  });

  it('divides each round by the baseline of the same round before taking the median', () => {
    // The machine slowed down for round 2 for both: the per-round ratios stay 0.9.
    const baseline = summarizeRounds([round(1000), round(500), round(1000)], new LatencySamples());
    const row = summarizeRounds([round(900), round(450), round(900)], new LatencySamples());
    assert.ok(Math.abs(roundRatio(row, baseline) - 0.9) < 1e-9);
    // When the rounds disagree, dividing the medians (450 / 1000) would say 0.45:
    const drifting = summarizeRounds([round(950), round(300), round(450)], new LatencySamples());
    const slowingBaseline = summarizeRounds([round(1000), round(1000), round(500)], new LatencySamples());
    assert.ok(Math.abs(roundRatio(drifting, slowingBaseline) - 0.9) < 1e-9);
    assert.equal(drifting.requestsPerSecond / slowingBaseline.requestsPerSecond, 0.45);
  });

  it('reads the CPU time a process tree has used', { skip: !procAvailable() && 'needs /proc' }, () => {
    const before = processTreeCpuSeconds(process.pid)!;
    // Spins until the kernel has counted 250 ms of CPU time for this process, however
    // long a busy machine makes that take.
    const started = process.cpuUsage();
    const used = () => {
      const { user, system } = process.cpuUsage(started);
      return user + system;
    };
    let spin = 0;
    while (used() < 250_000) spin += 1;
    const after = processTreeCpuSeconds(process.pid)!;
    assert.ok(spin > 0);
    // 250 ms of CPU, read with 10 ms ticks.
    assert.ok(after - before >= 0.1, `${after - before} s`);
    assert.ok(after - before < 5, `${after - before} s`);
  });
});
