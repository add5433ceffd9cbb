/**
 * `npm run bench` (issue 5): what authentication costs per request, measured on this
 * machine. Starts an upstream, the Okta stand-in and `gatehouse start` on loopback,
 * signs in once, loads each scenario with autocannon after a warm-up, and prints a
 * table that is also written as JSON and Markdown under bench/results/.
 *
 *   npm run bench                  full run (5 s warm-up, 18 s per scenario in 18 rounds, 100,000 sessions)
 *   npm run bench -- --quick       smoke test (1 s warm-up, 2 s per scenario, 10,000 sessions)
 *   npm run bench -- --help        every option
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apacheMissing, apacheVersion, APACHE_PATHS, signInToApache, startApache, type ApachePeer } from './lib/apache.js';
import { ROOT, type GatewayMode } from './lib/gatehouse-cli.js';
import { loadInterleaved } from './lib/interleave.js';
import type { LoadSettings, LoadTarget } from './lib/load.js';
import { megabytes, runMemory } from './lib/memory.js';
import { assertRunning, procAvailable, processTreeCpuSeconds, processTreeRss, stopAll, treePids, type Service } from './lib/processes.js';
import { describeRun, roundRatio, tableRows, textTable, throughputTargets, writeResults, type BenchResults, type HttpRow, type TargetCheck } from './lib/report.js';
import { runSignInFlows } from './lib/sign-in-flows.js';
import { accessToken, signInToOrganization, signInToRoute } from './lib/sign-in.js';
import { ORGANIZATION, ROUTES, startStack, type BenchStack } from './lib/stack.js';

const USAGE = `Usage: npm run bench -- [options]

  --quick               smoke test: 1 s warm-up, 2 s per scenario, 10,000 sessions, short sign-in phases
  --duration=SECONDS    measured time per scenario, over all its rounds (default 18; quick 2)
  --rounds=N            scenarios 1-6 (and, apart, the peer's three) interleaved in N rounds of duration/N
                        seconds each, ordered by a Williams design (balanced over multiples of 6 rounds);
                        req/s and ratios are the medians of the rounds (default 18; quick 1)
  --warmup=SECONDS      warm-up per scenario, not measured (default 5; quick 1)
  --connections=N       autocannon connections (default 32)
  --sessions=N          live sessions for the memory scenario (default 100000; quick 10000; 0 skips it)
  --settle=SECONDS      memory scenario: quiet use after loading, before RSS is read (default 60; quick 2)
  --flows=N             browsers signing in at once in the sign-in scenario (default 8; quick 4)
  --gateway=dist|tsx    run the gateway from dist/ (built when src/ changed; default) or from src/ through tsx
  --no-apache           skip the Apache mod_auth_openidc peer even when it is installed
  --only=PARTS          run only some parts, comma-separated: http (scenarios 1-6), peer, flows (7), memory (8)
  --out=DIR             where results are written (default bench/results)
  --keep                keep the temp folder with every server's log
  --strict              exit 1 when a target is missed (never in tests: shared machines are noisy)

GATEHOUSE_WORKERS is passed to the gateway as set.`;

interface Options {
  quick: boolean;
  load: LoadSettings;
  sessions: number;
  settleSeconds: number;
  flows: { concurrency: number; durationSeconds: number; sequentialFlows: number };
  mode: GatewayMode;
  apache: boolean;
  out: string;
  keep: boolean;
  strict: boolean;
  parts: ReadonlySet<Part>;
}

const PARTS = ['http', 'peer', 'flows', 'memory'] as const;
type Part = (typeof PARTS)[number];

function parseOptions(argv: string[]): Options | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      duration: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      sessions: { type: 'string' },
      settle: { type: 'string' },
      flows: { type: 'string' },
      gateway: { type: 'string', default: 'dist' },
      'no-apache': { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return undefined;
  const quick = values.quick;
  const number = (value: string | undefined, fallback: number, name: string): number => {
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a number ≥ 0, got ${value}`);
    return parsed;
  };
  if (values.gateway !== 'dist' && values.gateway !== 'tsx') throw new Error(`--gateway must be dist or tsx, got ${values.gateway}`);
  const durationSeconds = number(values.duration, quick ? 2 : 18, 'duration');
  const parts = values.only === undefined ? PARTS : values.only.split(',').map((part) => part.trim());
  const unknown = parts.filter((part) => !(PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`--only takes ${PARTS.join(', ')}; unknown: ${unknown.join(', ')}`);
  return {
    quick,
    load: {
      connections: number(values.connections, 32, 'connections'),
      warmupSeconds: number(values.warmup, quick ? 1 : 5, 'warmup'),
      durationSeconds,
      rounds: Math.max(1, Math.round(number(values.rounds, quick ? 1 : 18, 'rounds'))),
    },
    sessions: number(values.sessions, quick ? 10_000 : 100_000, 'sessions'),
    settleSeconds: number(values.settle, quick ? 2 : 60, 'settle'),
    flows: { concurrency: number(values.flows, quick ? 4 : 8, 'flows'), durationSeconds, sequentialFlows: quick ? 10 : 50 },
    mode: values.gateway,
    apache: !values['no-apache'],
    out: values.out ?? join(ROOT, 'bench/results'),
    keep: values.keep,
    strict: values.strict,
    parts: new Set(parts as Part[]),
  };
}

const log = (line: string) => console.log(line);

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  const startedAt = new Date();
  log(`Gatehouse bench${options.quick ? ' (quick)' : ''}: starting the upstream, the Okta stand-in and the gateway on loopback …`);
  const stack = await startStack({ mode: options.mode, log });
  try {
    return await measure(stack, options, startedAt);
  } finally {
    await stack.close({ keepWorkDir: options.keep });
    if (options.keep) log(`logs kept in ${stack.workDir}`);
  }
}

/** Processes of the servers under test that exited during a load run, by server name. */
const exits = new Map<string, number>();

/**
 * Counts (and reports) the processes of `server` that were running before a load run and
 * are gone after it. A clustered gateway restarts a crashed worker and goes on
 * answering, so a crash shows only here; the figures of that run are not the gateway's.
 */
function countExited(server: Service, before: Set<number>): number {
  const after = treePids(server.pid);
  const lost = [...before].filter((pid) => !after.has(pid)).length;
  if (lost > 0) {
    exits.set(server.name, (exits.get(server.name) ?? 0) + lost);
    log(`  WARNING: ${lost} ${server.name} process(es) exited during this run`);
  }
  return lost;
}

interface Credentials {
  sessionCookie: string;
  ssoCookie: string;
  bearer: string;
}

interface HttpScenario {
  id: string;
  scenario: string;
  product: HttpRow['product'];
  target: LoadTarget;
  /** The row this one is compared with (the same product's route without authentication). */
  baseline: string | null;
  /** Whether issue 5's throughput targets apply (session cookie and bearer routes). */
  targets: boolean;
  /** The server under test: a scenario whose server died is an error, not a row of refused connections. */
  server: Service;
}

/**
 * Loads the scenarios interleaved (see interleave.ts) and adds a row for each. A row's
 * ratio is the median of its rounds' ratios to its baseline's run in the same round; its
 * p99 ratio compares the pooled p99s.
 */
async function loadScenarios(http: HttpRow[], scenarios: HttpScenario[], options: Options): Promise<void> {
  const lostBy = new Map<string, number>();
  const results = await loadInterleaved(
    scenarios.map((scenario) => {
      let processes = treePids(scenario.server.pid);
      return {
        id: scenario.id,
        label: scenario.scenario,
        target: scenario.target,
        serverCpuSeconds: () => processTreeCpuSeconds(scenario.server.pid),
        afterRun: (during: string) => {
          assertRunning(scenario.server, during);
          const lost = countExited(scenario.server, processes);
          if (lost > 0) lostBy.set(scenario.id, (lostBy.get(scenario.id) ?? 0) + lost);
          processes = treePids(scenario.server.pid);
        },
      };
    }),
    options.load,
    log,
  );
  for (const scenario of scenarios) {
    const result = results.get(scenario.id)!;
    const baselineResult = scenario.baseline ? results.get(scenario.baseline) : undefined;
    const lost = lostBy.get(scenario.id) ?? 0;
    http.push({
      id: scenario.id,
      scenario: scenario.scenario,
      product: scenario.product,
      url: scenario.target.url,
      result,
      baseline: baselineResult ? scenario.baseline : null,
      ratio: baselineResult ? roundRatio(result, baselineResult) : null,
      p99Ratio: baselineResult ? result.latency.p99 / baselineResult.latency.p99 : null,
      targets: scenario.targets && baselineResult ? throughputTargets(result, baselineResult) : [],
      warnings: lost > 0 ? [`${lost} ${scenario.server.name} process(es) exited during its runs (see --keep logs)`] : [],
    });
  }
}

/** Scenarios 1-6: the same request over and over on keep-alive connections. */
function gatehouseScenarios(stack: BenchStack, credentials: Credentials): HttpScenario[] {
  const { proxy, service: server } = stack.gateway;
  const bearer = { authorization: `Bearer ${credentials.bearer}` };
  return [
    { id: 'upstream', scenario: '1 upstream direct', product: 'upstream', target: { url: `${stack.upstream.url}/` }, baseline: null, targets: false, server: stack.upstream.service },
    { id: 'no-plugin', scenario: '2 gateway route, no plugin', product: 'Gatehouse', target: { url: `${proxy}${ROUTES.plain}` }, baseline: null, targets: false, server },
    {
      id: 'oidc-session',
      scenario: '3 openid-connect, session cookie',
      product: 'Gatehouse',
      target: { url: `${proxy}${ROUTES.session}`, headers: { cookie: credentials.sessionCookie } },
      baseline: 'no-plugin',
      targets: true,
      server,
    },
    {
      id: 'oidc-bearer',
      scenario: '4 openid-connect, bearer JWT (RS256)',
      product: 'Gatehouse',
      target: { url: `${proxy}${ROUTES.bearer}`, headers: bearer },
      baseline: 'no-plugin',
      targets: true,
      server,
    },
    {
      id: 'sso-roles',
      scenario: '5 sso, roles_required',
      product: 'Gatehouse',
      target: { url: `${proxy}${ROUTES.sso}`, headers: { cookie: credentials.ssoCookie } },
      baseline: 'no-plugin',
      targets: false,
      server,
    },
    {
      id: 'oidc-introspection',
      scenario: '6 openid-connect, introspection (cached)',
      product: 'Gatehouse',
      target: { url: `${proxy}${ROUTES.introspection}`, headers: bearer },
      baseline: 'no-plugin',
      targets: false,
      server,
    },
  ];
}

/** The Apache mod_auth_openidc rows, when Apache is installed: its own no-auth route is their baseline. */
async function runPeer(stack: BenchStack, credentials: Credentials, http: HttpRow[], options: Options): Promise<BenchResults['peer']> {
  const missing = options.apache ? apacheMissing() : 'disabled with --no-apache';
  if (missing) {
    log(`peer: Apache mod_auth_openidc skipped: ${missing}`);
    return { skipped: missing };
  }
  const version = await apacheVersion();
  log(`peer: ${version} against the same stand-in and upstream …`);
  let apache: ApachePeer | undefined;
  try {
    apache = await startApache(stack, version);
    const cookie = await signInToApache(apache);
    const product = 'Apache mod_auth_openidc';
    const url = (path: string) => `${apache!.origin}${path}`;
    const rows: HttpScenario[] = [
      { id: 'apache-plain', scenario: 'A apache: proxy, no auth', product, target: { url: url(APACHE_PATHS.plain) }, baseline: null, targets: false, server: apache.service },
      {
        id: 'apache-session',
        scenario: 'A apache: openid-connect, session cookie',
        product,
        target: { url: url(APACHE_PATHS.session), headers: { cookie } },
        baseline: 'apache-plain',
        targets: true,
        server: apache.service,
      },
      {
        id: 'apache-bearer',
        scenario: 'A apache: oauth20, bearer JWT (RS256)',
        product,
        target: { url: url(APACHE_PATHS.bearer), headers: { authorization: `Bearer ${credentials.bearer}` } },
        baseline: 'apache-plain',
        targets: true,
        server: apache.service,
      },
    ];
    await loadScenarios(http, rows, options);
    return { name: 'Apache httpd with mod_auth_openidc', version };
  } catch (error) {
    const reason = `failed: ${error instanceof Error ? error.message : String(error)}`;
    log(`peer: Apache failed, no rows for it: ${reason}`);
    return { skipped: reason };
  } finally {
    await apache?.stop();
  }
}

async function runFlowsPart(stack: BenchStack, options: Options): Promise<BenchResults['signInFlows']> {
  log('7 sign-in flows …');
  const flows = await runSignInFlows(stack.gateway.proxy, ROUTES.session, options.flows);
  assertRunning(stack.gateway.service, 'the sign-in flows');
  const targets: TargetCheck[] = [
    { name: "gateway's share of a sign-in (p50)", short: 'share < 5 ms', expected: '< 5 ms', actual: `${flows.gatewayShare.p50Ms.toFixed(2)} ms`, pass: flows.gatewayShare.p50Ms < 5 },
    { name: 'failed flows', short: 'no failures', expected: '0', actual: String(flows.errors), pass: flows.errors === 0 },
  ];
  return { ...flows, targets };
}

async function runMemoryPart(stack: BenchStack, credentials: Credentials, options: Options): Promise<BenchResults['memory']> {
  if (options.sessions === 0) return { skipped: 'disabled with --sessions=0' };
  if (!procAvailable()) return { skipped: 'needs /proc (Linux) to read resident memory' };
  log(`8 memory with ${options.sessions.toLocaleString('en')} live sessions …`);
  const measured = await runMemory(
    stack,
    credentials.sessionCookie,
    { sessions: options.sessions, warmupSeconds: Math.max(1, options.load.warmupSeconds), settleSeconds: options.settleSeconds },
    log,
  );
  const cost = megabytes(measured.costOf100kBytes);
  const live = measured.loadFailures === 0 && measured.sample.ok === measured.sample.requested && measured.processExits === 0;
  return {
    ...measured,
    targets: [
      {
        name: `RSS cost of 100,000 sessions${measured.projected ? ' (projected)' : ''}`,
        short: '100k cost < 200 MB',
        expected: '< 200 MB',
        actual: `${cost.toFixed(1)} MB (whole RSS ${megabytes(measured.rssAt100kBytes).toFixed(1)} MB)`,
        pass: cost < 200,
      },
      { name: 'sessions live', short: 'all live', expected: 'all', actual: `${measured.loadedOk + measured.sample.ok}/${measured.sessions + measured.sample.requested}`, pass: live },
    ],
  };
}

async function measure(stack: BenchStack, options: Options, startedAt: Date): Promise<number> {
  const { proxy } = stack.gateway;
  const { parts } = options;
  log('signing in once: session cookie, organization session, bearer token …');
  const credentials: Credentials = {
    sessionCookie: await signInToRoute(proxy, ROUTES.session),
    ssoCookie: await signInToOrganization(proxy, ORGANIZATION.login_path, ROUTES.sso),
    bearer: await accessToken(stack.idp.issuer),
  };

  const http: HttpRow[] = [];
  if (parts.has('http')) {
    log('loading scenarios 1-6 …');
    await loadScenarios(http, gatehouseScenarios(stack, credentials), options);
  }
  // Taken now, before the memory scenario restarts the gateway: how many processes served the load.
  const gatewayTree = procAvailable() ? processTreeRss(stack.gateway.service.pid).processes : [];
  const peer = parts.has('peer') ? await runPeer(stack, credentials, http, options) : { skipped: 'not selected (--only)' };
  const signInFlows = parts.has('flows') ? await runFlowsPart(stack, options) : { skipped: 'not selected (--only)' };
  const memory = parts.has('memory') ? await runMemoryPart(stack, credentials, options) : { skipped: 'not selected (--only)' };

  const cpu = cpus();
  const targets = [
    ...http.flatMap((row) => row.targets),
    ...('targets' in signInFlows ? signInFlows.targets : []),
    ...('targets' in memory ? memory.targets : []),
  ];
  const results: BenchResults = {
    version: 2,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    machine: {
      cpus: cpu.length,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      memoryBytes: totalmem(),
      platform: `${process.platform} ${process.arch}`,
      node: process.versions.node,
    },
    gateway: {
      mode: options.mode,
      workersSetting: stack.gateway.env.GATEHOUSE_WORKERS ?? null,
      processes: gatewayTree.length,
      processNames: gatewayTree.map((entry) => `${entry.name} ${entry.pid}`),
      processExits: exits.get(stack.gateway.service.name) ?? 0,
    },
    load: {
      tool: 'autocannon',
      connections: options.load.connections,
      warmupSeconds: options.load.warmupSeconds,
      durationSeconds: options.load.durationSeconds,
      rounds: options.load.rounds,
      pipelining: 1,
    },
    http,
    signInFlows,
    memory,
    peer,
    allTargetsPass: targets.every((target) => target.pass),
  };

  console.log(`\n${textTable(tableRows(results))}\n\n${describeRun(results)}`);
  const path = writeResults(options.out, results);
  log(`\nresults: ${path} (and the table as Markdown beside it)`);
  const failed = http.reduce((sum, row) => sum + row.result.errors, 0) + ('errors' in signInFlows ? signInFlows.errors : 0);
  if (failed > 0) log(`note: ${failed} requests or flows failed; see the errors column`);
  return options.strict && !results.allTargetsPass ? 1 : 0;
}

const stop = (signal: NodeJS.Signals) => {
  log(`\n${signal}: stopping the bench's servers …`);
  void stopAll().finally(() => process.exit(130));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
