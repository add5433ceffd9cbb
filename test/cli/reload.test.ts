import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startEchoUpstream, type EchoReply, type EchoUpstream } from '../../src/gateway/echo-upstream.js';
import { freePorts } from '../../testkit/free-ports.js';
import { until } from '../support/until.js';

/**
 * SIGHUP, as `kong reload` and nginx: `gatehouse start` with two workers and a log file
 * re-reads its config file, applies what a running node can take in every process,
 * names what waits for a restart, refuses a broken file without changing anything, and
 * re-opens its log file after logrotate moved it — and keeps serving throughout.
 */

const ADMIN_TOKEN = 'reload-test-admin-token-0123456789abcdefgh';

function logLines(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('gatehouse start: SIGHUP reloads the settings and re-opens the log file', () => {
  let dir: string;
  let child: ChildProcess;
  let upstream: EchoUpstream;
  let proxy: string;
  let admin: string;
  let configFile: string;
  let logFile: string;
  let output = '';
  const config: Record<string, unknown> = {};

  const writeConfig = (values: Record<string, unknown>) => writeFileSync(configFile, JSON.stringify(values));
  const status = async () => {
    const response = await fetch(`${admin}/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return (await response.json()) as { workers: Array<{ pid: number }> };
  };
  /** What the upstream received, on a new connection each time so that both workers answer in turn. */
  const echo = async (headers: Record<string, string>): Promise<EchoReply> =>
    (await (await fetch(`${proxy}/echo`, { headers: { connection: 'close', ...headers } })).json()) as EchoReply;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-reload-'));
    configFile = join(dir, 'gatehouse.json');
    logFile = join(dir, 'logs', 'gatehouse.log');
    upstream = await startEchoUpstream({ port: 0 });
    const [proxyPort, adminPort, consolePort] = await freePorts(3);
    proxy = `http://127.0.0.1:${proxyPort}`;
    admin = `http://127.0.0.1:${adminPort}`;
    Object.assign(config, {
      proxy_listen: `127.0.0.1:${proxyPort}`,
      admin_listen: `127.0.0.1:${adminPort}`,
      console_listen: `127.0.0.1:${consolePort}`,
      database: `sqlite:${join(dir, 'gatehouse.db')}`,
      data_dir: dir,
      workers: 2,
      admin_token: ADMIN_TOKEN,
      log_file: logFile,
      log_level: 'info',
    });
    writeConfig(config);
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', configFile], {
      env: { ...process.env, GATEHOUSE_CONFIG: '', GATEHOUSE_WORKERS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => (output += chunk));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await until('Gatehouse to listen', () => logLines(logFile).find((line) => line.msg === 'Gatehouse is listening'), 30_000);
    for (const [path, body] of [
      ['/services/echo', { url: upstream.url }],
      ['/routes/echo', { paths: ['/echo'], service: { name: 'echo' } }],
    ] as const) {
      const response = await fetch(`${admin}${path}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.ok(response.ok, `PUT ${path}: ${response.status}`);
    }
  });

  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes its log to GATEHOUSE_LOG_FILE, not standard output', () => {
    assert.ok(logLines(logFile).some((line) => line.msg === 'proxy worker listening'), 'the workers log there too');
    assert.doesNotMatch(output, /Gatehouse is listening/);
  });

  it('applies reloadable settings in every worker, names the rest, re-opens the moved log file, and keeps serving', async () => {
    const before = await status();
    assert.equal((await echo({ X_Legacy_Header: 'x' })).headers['x_legacy_header'], undefined, 'underscore names are dropped by default');

    // logrotate moves the file away; Gatehouse keeps writing to the moved one until told.
    renameSync(logFile, `${logFile}.1`);
    writeConfig({ ...config, allow_underscore_headers: true, log_level: 'debug', trusted_ips: '10.0.0.0/8' });
    child.kill('SIGHUP');
    const reloaded = await until('the reload to be logged in a new file', () =>
      logLines(logFile).find((line) => line.msg === 'settings reloaded and log file re-opened'),
    );
    assert.deepEqual(reloaded.applied, ['log_level', 'allow_underscore_headers']);
    const waiting = logLines(logFile).find((line) => line.msg === 'these settings changed but take effect at the next start');
    assert.deepEqual(waiting?.settings, ['trusted_ips']);

    assert.equal(child.exitCode, null, 'the process is still running');
    assert.deepEqual((await status()).workers.map((worker) => worker.pid), before.workers.map((worker) => worker.pid), 'the same workers, none restarted');
    for (let i = 0; i < 4; i++) {
      assert.equal((await echo({ X_Legacy_Header: 'x' })).headers['x_legacy_header'], 'x', `request ${i}: every worker took the new setting`);
    }
  });

  it('refuses a broken config file on SIGHUP and changes nothing', async () => {
    // Settings in force that differ from the start's, as the reload above leaves them: what must stay.
    if ((await echo({ X_Legacy_Header: 'x' })).headers['x_legacy_header'] === undefined) {
      const reloads = () => logLines(logFile).filter((line) => line.msg === 'settings reloaded and log file re-opened').length;
      const before = reloads();
      writeConfig({ ...config, allow_underscore_headers: true });
      child.kill('SIGHUP');
      await until('the reload to be logged', () => (reloads() > before ? true : undefined));
    }
    writeFileSync(configFile, '{ "log_level": "loud", ');
    child.kill('SIGHUP');
    const refused = await until('the refusal to be logged', () => logLines(logFile).find((line) => line.msg === 'the settings were not reloaded: nothing changed'));
    assert.match(JSON.stringify(refused.problems), /gatehouse\.json/);
    assert.doesNotMatch(JSON.stringify(refused), /cannot start/, 'it is running, and keeps running');
    assert.equal(child.exitCode, null);
    assert.equal((await echo({ X_Legacy_Header: 'x' })).headers['x_legacy_header'], 'x', 'the settings in force stay');
  });
});
