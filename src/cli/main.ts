#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RELOADABLE_SETTINGS, SettingsError, changedSettings, loadSettings, type Settings } from '../config/settings.js';
import { startDevIdp } from '../dev-idp/index.js';
import { demoSeed } from '../dev-idp/demo-seed.js';
import { loadSeedFile } from '../dev-idp/seed.js';
import { GatehouseError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { startNode } from '../cluster/index.js';
import { openDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrations.js';
import { withAdminToken } from '../admin/auth.js';
import { startDemo } from './demo.js';
import { DEMO_ORGANIZATION } from './demo-organization.js';
import { runOrgCommand } from './org.js';
import { CLI_UNKNOWN_COMMAND } from './error-codes.js';

const USAGE = `Usage: gatehouse <command> [--config FILE]

Commands:
  start      run the gateway (proxy GATEHOUSE_PROXY_LISTEN in GATEHOUSE_WORKERS processes, default one per core
             or per CPU of a container's quota;
             Admin API GATEHOUSE_ADMIN_LISTEN; console GATEHOUSE_CONSOLE_LISTEN)
  demo       run the gateway, the Okta stand-in and an echo upstream, with /demo protected by openid-connect
             and organization Acme signing in with Okta (/login/acme, /app behind the sso plugin)
  dev-idp    run the Okta stand-in alone (--seed FILE, --listen HOST:PORT)
  migrate    bring the database up to date and exit
  org create --name NAME --owner-email EMAIL [--login-path PATH] [--owner-name NAME]
             create an organization and its owner (password from stdin, or a generated one is printed)
  help       show this text

Settings come from GATEHOUSE_* environment variables and an optional JSON file (--config or GATEHOUSE_CONFIG).`;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      seed: { type: 'string' },
      listen: { type: 'string' },
      name: { type: 'string' },
      'owner-email': { type: 'string' },
      'owner-name': { type: 'string' },
      'login-path': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
  });
  const command = values.help ? 'help' : values.version ? 'version' : (positionals[0] ?? 'help');
  if (command === 'help') return void console.log(USAGE);
  if (command === 'version') return void console.log(version());

  const env = values.listen ? { ...process.env, GATEHOUSE_DEV_IDP_LISTEN: values.listen } : process.env;
  const readSettings = () => loadSettings({ env, configPath: values.config });
  const settings = readSettings();
  const log = createLogger({ level: settings.log_level, name: 'gatehouse', file: settings.log_file });

  switch (command) {
    case 'start': {
      const gatehouse = await startNode({ settings, log });
      onShutdown(log, () => gatehouse.close());
      onReload(log, settings, readSettings, gatehouse);
      return;
    }
    case 'demo': {
      // The demo's Admin API needs a bootstrap token like any other: one is generated when GATEHOUSE_ADMIN_TOKEN is unset.
      const admin = withAdminToken(settings);
      const demo = await startDemo(admin.settings, log);
      const port = settings.proxy_listen.port;
      const token = admin.generated ? admin.token : '$GATEHOUSE_ADMIN_TOKEN';
      console.log(`
Gatehouse demo is running.
  Open            http://localhost:${port}/demo   (sign in as alice@example.com / Passw0rd!)
  Sign out        http://localhost:${port}/demo/logout
  Admin API       ${demo.gatehouse.adminUrl}   (try: curl -H "Authorization: Bearer ${token}" ${demo.gatehouse.adminUrl}/routes)
  Admin token     ${admin.generated ? `${admin.token}   (generated for this run; set GATEHOUSE_ADMIN_TOKEN to choose one)` : 'GATEHOUSE_ADMIN_TOKEN'}
  Organization    Acme signs in with Okta at http://localhost:${port}/login/acme, then http://localhost:${port}/app
                  (alice: Gateway Admin, bob: Viewer; owner: ${DEMO_ORGANIZATION.owner_email} / ${DEMO_ORGANIZATION.owner_password})
  Console         http://localhost:${settings.console_listen.port}   (open it on localhost: the sign-in cookie is set there)
  Okta stand-in   ${demo.idpOrigin}/oauth2/default
  Echo upstream   ${demo.upstreamUrl}
Press Ctrl+C to stop.`);
      onShutdown(log, () => demo.close());
      // The demo's generated bootstrap token is not a change.
      onReload(log, admin.settings, () => ({ ...readSettings(), admin_token: admin.settings.admin_token }), demo.gatehouse);
      return;
    }
    case 'dev-idp': {
      const seed = values.seed ? await loadSeedFile(values.seed) : demoSeed;
      const idp = await startDevIdp({ host: settings.dev_idp_listen.host, port: settings.dev_idp_listen.port, seed, log });
      console.log(`Okta stand-in at ${idp.origin} (custom authorization server: ${idp.issuer('default')}, org: ${idp.issuer('org')})`);
      onShutdown(log, () => idp.close());
      return;
    }
    case 'migrate': {
      const db = await openDatabase(settings.database);
      const applied = await migrateToLatest(db);
      await db.destroy();
      console.log(applied.length === 0 ? 'The database is up to date.' : `Applied: ${applied.join(', ')}`);
      return;
    }
    case 'org': {
      const output = await runOrgCommand(
        positionals[1],
        { name: values.name, ownerEmail: values['owner-email'], ownerName: values['owner-name'], loginPath: values['login-path'] },
        settings,
        log,
      );
      console.log(output);
      return;
    }
    default:
      throw new GatehouseError(CLI_UNKNOWN_COMMAND, `unknown command "${command}"\n\n${USAGE}`);
  }
}

/**
 * SIGHUP, as `kong reload` and nginx: read the settings again (the environment as at
 * start, the config file anew), apply those a running node can take
 * (RELOADABLE_SETTINGS) in every process, and re-open the log file for logrotate.
 * Settings with problems change nothing; others that changed are named as waiting for
 * the next start.
 */
function onReload(log: Logger, started: Settings, read: () => Settings, node: { reconfigure(next: Settings): Promise<void> }): void {
  let running = started;
  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading.then(async () => {
      let next: Settings;
      try {
        next = read();
      } catch (error) {
        const problems = error instanceof SettingsError ? error.problems : [error instanceof Error ? error.message : String(error)];
        log.error({ signal: 'SIGHUP', problems }, 'the settings were not reloaded: nothing changed');
        return;
      }
      const changed = changedSettings(running, next);
      const applied = changed.filter((name) => RELOADABLE_SETTINGS.has(name));
      const waiting = changed.filter((name) => !RELOADABLE_SETTINGS.has(name));
      try {
        await node.reconfigure(next);
      } catch (error) {
        log.error({ signal: 'SIGHUP', err: error instanceof Error ? error.message : String(error) }, 'applying the reloaded settings failed');
        return;
      }
      running = { ...running, ...Object.fromEntries(applied.map((name) => [name, next[name]])) };
      log.info({ signal: 'SIGHUP', applied }, 'settings reloaded and log file re-opened');
      if (waiting.length > 0) log.warn({ signal: 'SIGHUP', settings: waiting }, 'these settings changed but take effect at the next start');
    });
  });
}

function onShutdown(log: Logger, close: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    // A log file is written asynchronously: what is buffered goes out before the exit.
    const exit = (code: number) => log.flush(() => process.exit(code));
    close().then(
      () => exit(0),
      (error: unknown) => {
        log.error({ err: String(error) }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  // Configuration errors already say what to fix; anything else gets its message only.
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
