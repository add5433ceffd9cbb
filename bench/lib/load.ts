import autocannon from 'autocannon';

/** What one HTTP scenario sends: the same request over and over, on keep-alive connections. */
export interface LoadTarget {
  url: string;
  headers?: Record<string, string>;
}

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  requestsPerSecond: number;
  /** Milliseconds, from every response's own timing (sub-millisecond precision). */
  latency: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** Socket errors and timeouts plus answers that were not 2xx: every scenario expects 200. */
  errors: number;
  detail: { socketErrors: number; timeouts: number; non2xx: number; statusCodes: Record<string, number> };
}

/**
 * Loads `target` with autocannon: a warm-up whose figures are thrown away (JIT,
 * connection pools, caches), then the measured run. Latency percentiles come from
 * autocannon's per-response timings rather than its histogram, which keeps whole
 * milliseconds only: on loopback most answers take less than one.
 */
export async function runLoad(target: LoadTarget, settings: LoadSettings): Promise<LoadResult> {
  await warmUp(target, settings.connections, settings.warmupSeconds);
  const samples = new Samples();
  const result = await cannon(target, settings.connections, settings.durationSeconds, samples);
  const statusCodes: Record<string, number> = {};
  for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = (stats as { count: number }).count;
  const socketErrors = result.errors - result.timeouts;
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    requestsPerSecond: result.requests.total / result.duration,
    latency: samples.summary(),
    errors: result.errors + result.non2xx,
    detail: { socketErrors, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes },
  };
}

/** Load without measuring: JIT, connection pools and caches of the servers behind `target`. */
export async function warmUp(target: LoadTarget, connections: number, seconds: number): Promise<void> {
  if (seconds > 0) await cannon(target, connections, seconds, undefined);
}

function cannon(target: LoadTarget, connections: number, seconds: number, samples: Samples | undefined): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, headers: target.headers ?? {}, connections, duration: seconds, pipelining: 1, timeout: 10 },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    if (samples) instance.on('response', (_client, statusCode, _bytes, responseTime) => samples.add(statusCode, responseTime));
  });
}

/** Response times of 2xx answers, in a growable typed array (a few MB for a long run). */
class Samples {
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
