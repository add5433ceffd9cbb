import { LatencySamples, loadRound, summarizeRounds, warmUp, type LoadResult, type LoadRound, type LoadSettings, type LoadTarget } from './load.js';

/** One scenario as the interleaving sees it: what to load, whose CPU to read, what to check after each run. */
export interface InterleavedScenario {
  id: string;
  label: string;
  target: LoadTarget;
  /** The CPU clock of the server under test (see processTreeCpuSeconds). */
  serverCpuSeconds(): number | null;
  /** Called after every run (warm-up included), e.g. to throw when the server died. */
  afterRun(during: string): void;
}

/**
 * Loads every scenario in short rounds instead of one long run each. On a shared machine
 * the speed available drifts by tens of percent over a minute; run one after the other,
 * a scenario and the baseline it is divided by meet different machines. Interleaved, every
 * round holds one run of each, in an order that changes from round to round (see
 * roundOrder), and a ratio can be taken within a round and its median kept.
 *
 * Every route is warmed up once first (JIT, connection pools, caches), so that the first
 * scenario does not meet a colder server than the rest.
 */
export async function loadInterleaved(
  scenarios: InterleavedScenario[],
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<Map<string, LoadResult>> {
  if (settings.warmupSeconds > 0) {
    log(`  warming up every route (${settings.warmupSeconds} s each) …`);
    for (const scenario of scenarios) {
      await warmUp(scenario.target, settings.connections, settings.warmupSeconds);
      scenario.afterRun(`the warm-up of ${scenario.label}`);
    }
  }
  const rounds = Math.max(1, Math.round(settings.rounds));
  const seconds = settings.durationSeconds / rounds;
  const cycle = williamsCycle(scenarios.length);
  if (rounds > 1 && rounds % cycle !== 0) {
    log(`  note: the order is balanced over whole cycles of ${cycle} rounds; ${rounds} rounds are not (use --rounds=${Math.ceil(rounds / cycle) * cycle})`);
  }
  const runs = new Map(scenarios.map((scenario) => [scenario.id, [] as LoadRound[]]));
  const samples = new Map(scenarios.map((scenario) => [scenario.id, new LatencySamples()]));
  for (let round = 0; round < rounds; round += 1) {
    log(`  round ${round + 1}/${rounds}: ${scenarios.length} scenarios × ${seconds.toFixed(1)} s …`);
    for (const scenario of roundOrder(scenarios, round)) {
      const run = await loadRound(scenario.target, settings.connections, seconds, samples.get(scenario.id)!, () => scenario.serverCpuSeconds());
      scenario.afterRun(`${scenario.label} (round ${round + 1})`);
      runs.get(scenario.id)![round] = run;
    }
  }
  return new Map(scenarios.map((scenario) => [scenario.id, summarizeRounds(runs.get(scenario.id)!, samples.get(scenario.id)!)]));
}

/**
 * The order of round `round`: a row of a Williams design, a Latin square balanced for
 * first-order carry-over. Over n rounds (2n for an odd number of scenarios) every
 * scenario takes every position equally often and follows every other scenario equally
 * often. What a run leaves behind (garbage for the server to collect, sockets closing,
 * a server left idle while the upstream was loaded directly) then falls on every scenario
 * alike. A plain rotation would not do: it keeps the cyclic order, so each scenario would
 * always follow the same neighbour, and the baseline always the direct-upstream run.
 */
export function roundOrder<T>(scenarios: readonly T[], round: number): T[] {
  const n = scenarios.length;
  const cycle = williamsCycle(n);
  const row = round % cycle;
  // First row 0, 1, n-1, 2, n-2, …; row r adds r (mod n); an odd n adds the mirrored rows.
  const shift = row % n;
  const order = Array.from({ length: n }, (_, j) => (j === 0 ? 0 : j % 2 === 1 ? (j + 1) / 2 : n - j / 2));
  const shifted = order.map((index) => scenarios[(index + shift) % n]!);
  return row < n ? shifted : shifted.reverse();
}

/** Rounds in one whole Williams design for n scenarios: over a multiple of this, the order is balanced. */
export function williamsCycle(n: number): number {
  return n <= 1 ? 1 : n % 2 === 0 ? n : 2 * n;
}
