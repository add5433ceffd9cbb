import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { median, type LoadResult } from './load.js';
import type { MemoryResult } from './memory.js';
import type { SignInFlowsResult } from './sign-in-flows.js';

/** One pass/fail line against a target of issue 5. */
export interface TargetCheck {
  name: string;
  /** The target in a few characters, for the table (`req/s ≥ 0.90×`). */
  short: string;
  expected: string;
  actual: string;
  pass: boolean;
}

export interface HttpRow {
  id: string;
  scenario: string;
  product: 'upstream' | 'Gatehouse' | 'Apache mod_auth_openidc';
  url: string;
  result: LoadResult;
  /** The row this one is compared with: the same product's route without authentication. */
  baseline: string | null;
  ratio: number | null;
  p99Ratio: number | null;
  targets: TargetCheck[];
  /** What makes the row's figures doubtful, e.g. a gateway worker that crashed (and was restarted) during the run. */
  warnings: string[];
}

export interface BenchResults {
  version: 2;
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryBytes: number; platform: string; node: string };
  gateway: {
    mode: string;
    workersSetting: string | null;
    processes: number;
    processNames: string[];
    /** Gateway processes (workers) that exited during load runs of scenarios 1-6: should be 0. */
    processExits: number;
  };
  load: { tool: string; connections: number; warmupSeconds: number; durationSeconds: number; rounds: number; pipelining: 1 };
  http: HttpRow[];
  signInFlows: (SignInFlowsResult & { targets: TargetCheck[] }) | { skipped: string };
  memory: (MemoryResult & { targets: TargetCheck[] }) | { skipped: string };
  peer: { name: string; version: string } | { skipped: string };
  /** Every target, flattened: what `npm run bench` exits non-zero on when asked (`--strict`). */
  allTargetsPass: boolean;
}

/**
 * Requests per second relative to the baseline: the median of the rounds' ratios, each
 * taken against the baseline's run in the same round (both met the same machine).
 */
export function roundRatio(row: LoadResult, baseline: LoadResult): number {
  const ratios = row.rounds.flatMap((round, index) => {
    const base = baseline.rounds[index];
    return base && base.requestsPerSecond > 0 ? [round.requestsPerSecond / base.requestsPerSecond] : [];
  });
  return median(ratios);
}

/** The comparisons issue 5 sets for the session cookie and bearer routes. */
export function throughputTargets(row: LoadResult, baseline: LoadResult): TargetCheck[] {
  const ratio = roundRatio(row, baseline);
  const p99 = row.latency.p99 / baseline.latency.p99;
  return [
    { name: 'req/s vs no-auth route', short: 'req/s ≥ 0.90×', expected: '≥ 0.90', actual: ratio.toFixed(2), pass: ratio >= 0.9 },
    { name: 'p99 vs no-auth route', short: 'p99 ≤ 1.2×', expected: '≤ 1.20×', actual: `${p99.toFixed(2)}×`, pass: p99 <= 1.2 },
  ];
}

const f1 = (value: number) => (Number.isFinite(value) ? value.toFixed(1) : '—');
const f2 = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : '—');
const int = (value: number) => (Number.isFinite(value) ? Math.round(value).toLocaleString('en') : '—');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** `req/s ≥ 0.90× pass, p99 ≤ 1.2× FAIL`: the values themselves are in the other columns. */
const verdict = (targets: TargetCheck[]) => targets.map((target) => `${target.short} ${target.pass ? 'pass' : 'FAIL'}`).join(', ');

/** The table's rows: one per HTTP scenario, then sign-in flows and memory, in the same columns. */
export function tableRows(results: BenchResults): string[][] {
  const header = ['scenario', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'errors', 'vs no-auth', 'targets'];
  const rows: string[][] = [header];
  const byId = new Map(results.http.map((row) => [row.id, row]));
  for (const row of results.http) {
    const cpu = row.result.serverCpuMicrosPerRequest ?? NaN;
    const baselineCpu = row.baseline ? (byId.get(row.baseline)?.result.serverCpuMicrosPerRequest ?? NaN) : NaN;
    const extraCpu = Number.isFinite(cpu - baselineCpu) ? `, CPU ${cpu >= baselineCpu ? '+' : '−'}${int(Math.abs(cpu - baselineCpu))} µs` : '';
    rows.push([
      row.scenario,
      int(row.result.requestsPerSecond),
      f2(row.result.latency.p50),
      f2(row.result.latency.p99),
      int(cpu),
      int(row.result.errors),
      row.ratio === null ? '—' : `${f2(row.ratio)} (p99 ${f2(row.p99Ratio ?? NaN)}×${extraCpu})`,
      [verdict(row.targets), ...row.warnings.map((warning) => `WARNING: ${warning}`)].filter(Boolean).join('; '),
    ]);
  }
  const flows = results.signInFlows;
  if ('skipped' in flows) rows.push(['7 sign-in flows', 'skipped', '', '', '', '', '', flows.skipped]);
  else {
    rows.push([
      `7 sign-in flows (${flows.concurrency} browsers; gateway share ${f1(flows.gatewayShare.p50Ms)} ms p50, ${f1(flows.gatewayShare.p99Ms)} ms p99)`,
      `${f1(flows.flowsPerSecond)} flows/s`,
      f1(flows.flowMs.p50),
      f1(flows.flowMs.p99),
      '',
      int(flows.errors),
      '—',
      verdict(flows.targets),
    ]);
  }
  const memory = results.memory;
  if ('skipped' in memory) rows.push(['8 memory', 'skipped', '', '', '', '', '', memory.skipped]);
  else {
    rows.push([
      `8 memory: ${int(memory.sessions)} live sessions, RSS ${mb(memory.rssBeforeBytes)} → ${mb(memory.rssAfterBytes)}, ${int(memory.bytesPerSession)} B/session${memory.heapBytesPerSession === null ? '' : ` (heap ${int(memory.heapBytesPerSession)})`}; 100,000 cost ${mb(memory.costOf100kBytes)}${memory.projected ? ' (projected)' : ''}`,
      '',
      '',
      '',
      '',
      int(memory.loadFailures + (memory.sample.requested - memory.sample.ok)),
      '—',
      [verdict(memory.targets), ...(memory.processExits > 0 ? [`WARNING: ${memory.processExits} gateway process(es) exited: the figures are not the sessions'`] : [])].join('; '),
    ]);
  }
  return rows;
}

export function textTable(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const numeric = new Set([1, 2, 3, 4, 5]);
  const line = (row: string[]) =>
    row
      .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(rows[0]!), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(rows: string[][]): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const [header, ...body] = rows;
  return [
    `| ${header!.map(escape).join(' | ')} |`,
    `|${header!.map((_, column) => (column >= 1 && column <= 5 ? '---:' : '---')).join('|')}|`,
    ...body.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

/** What the run was: machine, gateway processes, load settings; printed under the table and kept with it. */
export function describeRun(results: BenchResults): string {
  const { machine, gateway, load } = results;
  const lines = [
    `${machine.cpus} × ${machine.cpuModel}, ${mb(machine.memoryBytes)}, ${machine.platform}, Node ${machine.node}`,
    `gateway: gatehouse start (${gateway.mode}), GATEHOUSE_WORKERS=${gateway.workersSetting ?? '(unset)'}, ${gateway.processes} process(es): ${gateway.processNames.join(', ')}` +
      (gateway.processExits > 0 ? `; WARNING: ${gateway.processExits} gateway process(es) exited under load` : ''),
    `load: ${load.tool}, ${load.connections} connections, ${load.warmupSeconds} s warm-up per route, then ${load.durationSeconds} s per scenario in ${load.rounds} interleaved round(s) (req/s and ratios: medians of the rounds; CPU: the server's user + system time per request); upstream, stand-in and load generator on the same machine`,
  ];
  if ('skipped' in results.peer) lines.push(`peer: skipped — ${results.peer.skipped}`);
  else lines.push(`peer: ${results.peer.version}`);
  if (!('skipped' in results.memory) && results.memory.projected) {
    lines.push(
      `memory: ${int(results.memory.sessions)} sessions measured; the 100,000-session figures (cost ${mb(results.memory.costOf100kBytes)}, whole RSS ${mb(results.memory.rssAt100kBytes)}) are projected from the per-session cost`,
    );
  }
  return lines.join('\n');
}

/** Writes `<stamp>.json` and `<stamp>.md` (the table for the README) under `directory`; returns the JSON path. */
export function writeResults(directory: string, results: BenchResults): string {
  mkdirSync(directory, { recursive: true });
  const stamp = `${results.startedAt.replace(/[:.]/g, '-')}${results.quick ? '-quick' : ''}`;
  const jsonPath = join(directory, `${stamp}.json`);
  writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(directory, `${stamp}.md`), `${markdownTable(tableRows(results))}\n\n${describeRun(results).replace(/^/gm, '- ')}\n`);
  return jsonPath;
}
