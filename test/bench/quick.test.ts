import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { BenchResults } from '../../bench/lib/report.js';

/**
 * `npm run bench -- --quick` as CI would run it, shortened further: every scenario must
 * produce answers without a single error, and the results file must hold them all.
 * No figure is checked against a target: this machine is shared and its numbers mean
 * nothing. The Apache peer is left out (it is not installed on every machine).
 */
describe('npm run bench --quick', () => {
  const out = mkdtempSync(join(tmpdir(), 'gatehouse-bench-test-'));
  after(() => rmSync(out, { recursive: true, force: true }));

  it('runs every scenario without errors and writes them all to JSON', { timeout: 180_000 }, async () => {
    const args = ['--import', 'tsx', 'bench/run.ts', '--quick', '--gateway=tsx', '--warmup=0', '--duration=1', '--rounds=2', '--sessions=1000', '--no-apache', `--out=${out}`];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      child.on('close', (exitCode) => resolve({ code: exitCode, output }));
    });
    assert.equal(code, 0, output);

    const files = readdirSync(out);
    const json = files.find((name) => name.endsWith('-quick.json'));
    assert.ok(json, `a results file in ${files.join(', ')}`);
    assert.ok(files.some((name) => name.endsWith('-quick.md')), 'the Markdown table beside it');
    const results = JSON.parse(readFileSync(join(out, json), 'utf8')) as BenchResults;

    assert.deepEqual(
      results.http.map((row) => row.id),
      ['upstream', 'no-plugin', 'oidc-session', 'oidc-bearer', 'sso-roles', 'oidc-introspection'],
    );
    for (const row of results.http) {
      assert.ok(row.result.requests > 0, `${row.scenario}: requests were answered`);
      assert.equal(row.result.errors, 0, `${row.scenario}: ${JSON.stringify(row.result.detail)}`);
      assert.equal(row.result.rounds.length, 2, `${row.scenario}: measured in two interleaved rounds`);
      assert.ok(row.result.rounds.every((round) => round.requests > 0), `${row.scenario}: every round was answered`);
      if (process.platform === 'linux') assert.ok(row.result.serverCpuMicrosPerRequest! > 0, `${row.scenario}: the server's CPU per request was read`);
    }
    for (const id of ['oidc-session', 'oidc-bearer']) {
      const row = results.http.find((candidate) => candidate.id === id)!;
      assert.deepEqual(
        row.targets.map((target) => target.name),
        ['req/s vs no-auth route', 'p99 vs no-auth route'],
        `${id} is checked against the targets (pass or fail)`,
      );
    }

    assert.ok(!('skipped' in results.signInFlows), 'sign-in flows ran');
    const flows = results.signInFlows as Exclude<BenchResults['signInFlows'], { skipped: string }>;
    assert.ok(flows.flows > 0, 'whole sign-ins completed');
    assert.equal(flows.errors, 0, flows.firstError);
    assert.ok(flows.gatewayShare.flows > 0 && flows.gatewayShare.providerCallsP50Ms > 0, 'the callback’s Server-Timing was read');

    assert.ok(!('skipped' in results.memory), 'the memory scenario ran');
    const memory = results.memory as Exclude<BenchResults['memory'], { skipped: string }>;
    assert.equal(memory.sessions, 1000);
    assert.equal(memory.loadedOk, 1000, 'every session answered 200 through the openid-connect route');
    assert.equal(memory.sample.ok, memory.sample.requested, 'and was still live afterwards');
    assert.ok(memory.rssBeforeBytes > 0 && memory.rssAfterBytes > 0);
    assert.equal(memory.processExits, 0, 'no gateway process exited during the memory scenario');

    assert.ok(results.gateway.processes >= 1);
    assert.equal(results.gateway.processExits, 0, 'no gateway process (worker) exited under load');
    assert.match(output, /1 upstream direct/);
    assert.match(output, /round 2\/2/);
    assert.match(output, /Apache mod_auth_openidc skipped: disabled with --no-apache/);
  });
});
