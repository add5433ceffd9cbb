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
 * round holds one run of each, the order turning by one each round so that none always
 * follows the same neighbour, and a ratio can be taken within a round and its median kept.
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

/** Round r runs the scenarios starting from the r-th: each takes every position once in as many rounds as there are scenarios. */
export function roundOrder<T>(scenarios: readonly T[], round: number): T[] {
  const start = round % scenarios.length;
  return [...scenarios.slice(start), ...scenarios.slice(0, start)];
}
