import { percentile } from './load.js';
import { signInFlow, type SignInFlow } from './sign-in.js';

export interface SignInFlowSettings {
  /** Browsers signing in at once during the throughput phase. */
  concurrency: number;
  durationSeconds: number;
  /** Sign-ins one after another (nothing else running) for the gateway's share. */
  sequentialFlows: number;
}

export interface SignInFlowsResult {
  concurrency: number;
  durationSeconds: number;
  flows: number;
  flowsPerSecond: number;
  errors: number;
  firstError: string | undefined;
  /** Whole flows under load, as the browser sees them (ms). */
  flowMs: { p50: number; p99: number };
  /**
   * The gateway's share of one sign-in, measured on sequential flows: the first
   * request (redirect to the provider) plus the callback as the browser timed it,
   * less the callback's calls to the provider (its Server-Timing `idp`).
   */
  gatewayShare: {
    flows: number;
    p50Ms: number;
    p99Ms: number;
    /** The parts, medians: first request, callback as timed by the browser, provider calls inside it, and the gateway's in-process time. */
    startP50Ms: number;
    callbackP50Ms: number;
    providerCallsP50Ms: number;
    gatewayInProcessP50Ms: number;
    /** The whole sequential sign-in, for scale (mostly the provider: its pages, password check and token signing). */
    wholeFlowP50Ms: number;
  };
}

/**
 * Scenario 7: whole authorization code flows against the stand-in, callback included.
 * A throughput phase (`concurrency` browsers for a fixed time) gives flows per second;
 * a sequential phase gives the gateway's share, which concurrent flows would blur with
 * queueing behind the provider's (much larger) work.
 */
export async function runSignInFlows(proxy: string, path: string, settings: SignInFlowSettings): Promise<SignInFlowsResult> {
  // One flow first, so the provider's keys and the route's first use are not in the figures.
  const first = await signInFlow(proxy, path);
  if (!first.ok) throw new Error(`the first sign-in flow failed: ${first.error}`);

  const deadline = performance.now() + settings.durationSeconds * 1000;
  const durations: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const startedAt = performance.now();
  await Promise.all(
    Array.from({ length: settings.concurrency }, async () => {
      while (performance.now() < deadline) {
        const flow = await signInFlow(proxy, path);
        if (flow.ok) durations.push(flow.totalMs);
        else {
          errors += 1;
          firstError ??= flow.error;
        }
      }
    }),
  );
  const elapsedSeconds = (performance.now() - startedAt) / 1000;

  const sequential: Array<Extract<SignInFlow, { ok: true }>> = [];
  for (let i = 0; i < settings.sequentialFlows; i++) {
    const flow = await signInFlow(proxy, path);
    if (!flow.ok) {
      errors += 1;
      firstError ??= flow.error;
      continue;
    }
    if (flow.providerCallsMs === undefined || flow.gatewayOwnMs === undefined) {
      throw new Error('the callback has no Server-Timing header (idp, gatehouse): the gateway share cannot be told from the provider’s');
    }
    sequential.push(flow);
  }
  const median = (values: number[]) => percentile(values.sort((a, b) => a - b), 0.5);
  const shares = sequential.map((flow) => flow.startMs + flow.callbackMs - flow.providerCallsMs!).sort((a, b) => a - b);
  return {
    concurrency: settings.concurrency,
    durationSeconds: elapsedSeconds,
    flows: durations.length,
    flowsPerSecond: durations.length / elapsedSeconds,
    errors,
    firstError,
    flowMs: { p50: percentile(durations.sort((a, b) => a - b), 0.5), p99: percentile(durations, 0.99) },
    gatewayShare: {
      flows: sequential.length,
      p50Ms: percentile(shares, 0.5),
      p99Ms: percentile(shares, 0.99),
      startP50Ms: median(sequential.map((flow) => flow.startMs)),
      callbackP50Ms: median(sequential.map((flow) => flow.callbackMs)),
      providerCallsP50Ms: median(sequential.map((flow) => flow.providerCallsMs!)),
      gatewayInProcessP50Ms: median(sequential.map((flow) => flow.gatewayOwnMs!)),
      wholeFlowP50Ms: median(sequential.map((flow) => flow.totalMs)),
    },
  };
}
