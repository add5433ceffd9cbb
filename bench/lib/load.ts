import autocannon from 'autocannon';

/** What one HTTP scenario sends: the same request over and over, on keep-alive connections. */
export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  /** Measured time per scenario, summed over its rounds. */
  durationSeconds: number;
  /** How many short runs the measured time is cut into, interleaved with the other scenarios' (see interleave.ts). */
  rounds: number;
}

/** One measured run of one scenario. */
export interface LoadRound {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Milliseconds, nearest-rank over this run's 2xx answers. */
  p99: number;
  /** CPU seconds the server under test spent during the run (user + system, every process of it); null without /proc. */
  serverCpuSeconds: number | null;
  errors: number;
  detail: { socketErrors: number; timeouts: number; non2xx: number; statusCodes: Record<string, number> };
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  /** The median of the rounds' requests per second: one disturbed round moves it little. */
  requestsPerSecond: number;
  /** Milliseconds, from every 2xx answer's own timing (sub-millisecond precision), all rounds pooled. */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Server CPU time per answered request, in microseconds, all rounds pooled; null without /proc. */
  serverCpuMicrosPerRequest: number | null;
  /** Socket errors and timeouts plus answers that were not 2xx: every scenario expects 200. */
  errors: number;
  detail: { socketErrors: number; timeouts: number; non2xx: number; statusCodes: Record<string, number> };
  rounds: LoadRound[];
}

/**
 * One measured run with autocannon. Latencies are added to `samples`, from autocannon's
 * per-response timings rather than its histogram, which keeps whole milliseconds only:
 * on loopback most answers take less than one. `serverCpuSeconds` reads the server's CPU
 * clock; it is read just before and just after the run.
 */
export async function loadRound(
  target: LoadTarget,
  connections: number,
  seconds: number,
  samples: LatencySamples,
  serverCpuSeconds: () => number | null,
): Promise<LoadRound> {
  const roundSamples = new LatencySamples();
  const cpuBefore = serverCpuSeconds();
  const result = await cannon(target, connections, seconds, (statusCode, milliseconds) => {
    samples.add(statusCode, milliseconds);
    roundSamples.add(statusCode, milliseconds);
  });
  const cpuAfter = serverCpuSeconds();
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stats as { count: number }).count;
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    p99: roundSamples.summary().p99,
    serverCpuSeconds: cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore,
    errors: result.errors + result.non2xx,
    detail: { socketErrors: result.errors - result.timeouts, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes },
  };
}

/** A scenario's result from its rounds and their pooled latencies. */
export function summarizeRounds(rounds: LoadRound[], samples: LatencySamples): LoadResult {
  const requests = rounds.reduce((sum, round) => sum + round.requests, 0);
  const statusCodes: Record<string, number> = {};
  for (const round of rounds) {
    for (const [code, count] of Object.entries(round.detail.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + count;
  }
  const sum = (pick: (round: LoadRound) => number) => rounds.reduce((total, round) => total + pick(round), 0);
  const cpuKnown = rounds.every((round) => round.serverCpuSeconds !== null);
  return {
    requests,
    durationSeconds: sum((round) => round.durationSeconds),
    requestsPerSecond: median(rounds.map((round) => round.requestsPerSecond)),
    latency: samples.summary(),
    serverCpuMicrosPerRequest: cpuKnown && requests > 0 ? (sum((round) => round.serverCpuSeconds!) / requests) * 1e6 : null,
    errors: sum((round) => round.errors),
    detail: {
      socketErrors: sum((round) => round.detail.socketErrors),
      timeouts: sum((round) => round.detail.timeouts),
      non2xx: sum((round) => round.detail.non2xx),
      statusCodes,
    },
    rounds,
  };
}

/** Load without measuring: JIT, connection pools and caches of the servers behind `target`. */
export async function warmUp(target: LoadTarget, connections: number, seconds: number): Promise<void> {
  if (seconds > 0) await cannon(target, connections, seconds, undefined);
}

function cannon(
  target: LoadTarget,
  connections: number,
  seconds: number,
  onResponse: ((statusCode: number, milliseconds: number) => void) | undefined,
): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, headers: target.headers ?? {}, connections, duration: seconds, pipelining: 1, timeout: 10 },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    if (onResponse) instance.on('response', (_client, statusCode, _bytes, responseTime) => onResponse(statusCode, responseTime));
  });
}

/** Response times of 2xx answers, in a growable typed array (a few MB for a long run). */
export class LatencySamples {
  #values = new Float64Array(1 << 16);
  #count = 0;

  add(statusCode: number, milliseconds: number): void {
    if (statusCode < 200 || statusCode > 299) return;
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = milliseconds;
  }

  summary(): LoadResult['latency'] {
    const sorted = this.#values.slice(0, this.#count).sort();
    return {
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      max: sorted.length ? sorted[sorted.length - 1]! : NaN,
      mean: sorted.length ? sorted.reduce((sum, value) => sum + value, 0) / sorted.length : NaN,
    };
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
