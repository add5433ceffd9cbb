import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { cpuCount } from './cpu-count.js';
import { CONFIG_INVALID } from './error-codes.js';

/**
 * Gatehouse's settings, Kong-style: each has an environment variable
 * `GATEHOUSE_<NAME>` and a key of the same name, lower-case, in an optional JSON
 * config file (`GATEHOUSE_CONFIG` or `--config`). The environment wins over the file.
 * Every problem is reported at once, before anything starts.
 */

export interface Listen {
  host: string;
  port: number;
}

const listen = z.string().transform((value, ctx): Listen => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `"${value}" is not host:port (e.g. 127.0.0.1:8001 or [::1]:8001)` });
    return z.NEVER;
  }
  return { host: match[1] ?? match[2]!, port };
});

const keys = z.string().transform((value, ctx) => {
  const list = value
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  const short = list.findIndex((key) => key.length < 32);
  if (list.length === 0 || short !== -1) {
    ctx.addIssue({
      code: 'custom',
      message: 'each key needs at least 32 characters of randomness; generate one with `openssl rand -base64 32`',
    });
    return z.NEVER;
  }
  return list;
});

const database = z
  .string()
  .refine((value) => value.startsWith('sqlite:'), {
    message: 'expected sqlite:<path> (e.g. sqlite:./data/gatehouse.db) or sqlite::memory:',
  });

const trustedIps = z.string().transform((value, ctx) => {
  const list = value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of list) {
    const [address, bits] = entry.split('/');
    if (!address || isIP(address) === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      ctx.addIssue({ code: 'custom', message: `"${entry}" is not an IP address or CIDR range` });
    }
  }
  return list;
});

const adminToken = z
  .string()
  .trim()
  .refine((value) => value.length >= 32 && /^[\x21-\x7e]+$/.test(value), {
    message: 'the bootstrap token needs at least 32 printable characters without spaces; generate one with `openssl rand -base64 32`',
  });

const workers = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const count = /^\d{1,4}$/.test(value) ? Number(value) : NaN;
    if (!(count >= 1 && count <= 1024)) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a number of processes from 1 to 1024 (1 runs everything in one process)` });
      return z.NEVER;
    }
    return count;
  });

const publicUrl = z
  .string()
  .trim()
  .transform((value, ctx) => {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) {
      ctx.addIssue({ code: 'custom', message: `"${value}" is not an http(s) URL such as https://gateway.example.com (no query, fragment or credentials)` });
      return z.NEVER;
    }
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  });

/** On or off: JSON booleans, or the words people write in environment variables. */
const flag = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'boolean') return value;
  const word = value.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(word)) return true;
  if (['false', 'off', 'no', '0'].includes(word)) return false;
  ctx.addIssue({ code: 'custom', message: `"${value}" is not on or off (true/false, on/off, yes/no, 1/0)` });
  return z.NEVER;
});

export const settingsSchema = z
  .object({
    proxy_listen: listen.prefault('0.0.0.0:8000'),
    admin_listen: listen.prefault('127.0.0.1:8001'),
    /** The web console (Kong Manager's port); loopback by default, like the Admin API it fronts. */
    console_listen: listen.prefault('127.0.0.1:8002'),
    dev_idp_listen: listen.prefault('127.0.0.1:9000'),
    demo_upstream_listen: listen.prefault('127.0.0.1:9001'),
    database: database.default('sqlite:./data/gatehouse.db'),
    data_dir: z.string().min(1).default('./data'),
    keys: keys.optional(),
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    /** Append the log to this file instead of standard output; SIGHUP re-opens it (after logrotate moved it). */
    log_file: z.string().trim().min(1, 'expected a file path, e.g. /var/log/gatehouse/gatehouse.log').optional(),
    trusted_ips: trustedIps.prefault(''),
    /** Bootstrap token for the Admin API (`Authorization: Bearer …`); may do everything. */
    admin_token: adminToken.optional(),
    /** The proxy's public URL (redirect URIs for Okta); default `http://localhost:{proxy port}`. */
    public_url: publicUrl.optional(),
    /**
     * The console's public URL: sign-ins with Okta that were not started by an application
     * land there; default: the public URL's scheme and host with the console's port.
     */
    console_url: publicUrl.optional(),
    /**
     * Proxy processes (node:cluster workers sharing the proxy port); default one per CPU
     * (the cores, or fewer under a cgroup CPU quota).
     * 1 runs the proxy, Admin API and console in one process, with no cluster at all.
     */
    workers: workers.optional(),
    /**
     * Forward client request headers whose names contain `_`. Off by default, as in nginx
     * (`underscores_in_headers off`) and Kong: CGI, WSGI and Rack upstreams fold `X_User`
     * and `X-User` into the same `HTTP_X_USER`, so a client could shadow an identity
     * header the gateway set.
     */
    allow_underscore_headers: flag.prefault(false),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

/** The proxy's public URL: `GATEHOUSE_PUBLIC_URL`, else `http://localhost:{port}` (the port actually bound when given). */
export function publicUrlOf(settings: Settings, boundPort?: number): string {
  return settings.public_url ?? `http://localhost:${boundPort ?? settings.proxy_listen.port}`;
}

/**
 * The console's public URL: `GATEHOUSE_CONSOLE_URL`, else the public URL's scheme and host
 * with the console's port (the port actually bound when given). The host must be the
 * proxy's: the console reads the session cookie the proxy sets, and cookies are per host.
 */
export function consoleUrlOf(settings: Settings, publicUrl: string, boundPort?: number): string {
  if (settings.console_url) return settings.console_url;
  const url = new URL(publicUrl);
  return `${url.protocol}//${url.hostname}:${boundPort ?? settings.console_listen.port}`;
}

/** `sqlite::memory:` lives inside one process: workers could not share it. */
function isMemoryDatabase(database: string): boolean {
  return /^sqlite:(\/\/)?:memory:$/.test(database.trim());
}

/**
 * How many proxy processes to run: `GATEHOUSE_WORKERS`, else one per CPU the process
 * may use (the cores, capped by a container's CPU quota; see cpu-count.ts). An in-memory
 * database cannot be shared between processes, so it means one process unless the
 * setting asks for more (which `loadSettings` refuses).
 */
export function workerCount(settings: Settings): number {
  if (settings.workers !== undefined) return settings.workers;
  return isMemoryDatabase(settings.database) ? 1 : cpuCount();
}

export const SETTING_NAMES = Object.keys(settingsSchema.shape) as Array<keyof Settings>;

/**
 * Settings a running node applies when it reloads its configuration (SIGHUP); every
 * other one is read at start only (listeners, the store, keys, URLs, processes).
 */
export const RELOADABLE_SETTINGS: ReadonlySet<keyof Settings> = new Set(['log_level', 'allow_underscore_headers']);

/** The names of the settings whose values differ between two loads. */
export function changedSettings(before: Settings, after: Settings): Array<keyof Settings> {
  return SETTING_NAMES.filter((name) => JSON.stringify(before[name]) !== JSON.stringify(after[name]));
}

/** Settings with problems: each one, and a message for people that lists them all. */
export class SettingsError extends GatehouseError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(CONFIG_INVALID, `Gatehouse cannot start; fix these settings:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.problems = problems;
  }
}

/** Reads settings from a config file (optional) and the environment; throws one SettingsError listing every problem. */
export function loadSettings(options: { env?: NodeJS.ProcessEnv; configPath?: string | undefined } = {}): Settings {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const raw: Record<string, unknown> = {};

  const configPath = options.configPath ?? env.GATEHOUSE_CONFIG;
  if (configPath) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(configPath, 'utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        problems.push(`${configPath}: expected a JSON object of settings`);
      } else {
        for (const [key, value] of Object.entries(parsed)) {
          raw[key] = Array.isArray(value) ? value.join(',') : typeof value === 'number' ? String(value) : value;
        }
      }
    } catch (error) {
      problems.push(`${configPath}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  for (const name of SETTING_NAMES) {
    const value = env[`GATEHOUSE_${name.toUpperCase()}`];
    if (value !== undefined && value !== '') raw[name] = value;
  }

  const result = settingsSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.length > 0 ? String(issue.path[0]) : undefined;
      if (issue.code === 'unrecognized_keys') {
        for (const unknown of issue.keys) {
          problems.push(`${unknown}: unknown setting in ${configPath}; known settings are ${SETTING_NAMES.join(', ')}`);
        }
        continue;
      }
      const label = key ? `GATEHOUSE_${key.toUpperCase()} (${key})` : 'settings';
      problems.push(`${label}: ${issue.message}`);
    }
  }
  // Across two settings, and from the raw values so that it is listed with every other problem.
  const requestedWorkers = typeof raw.workers === 'string' ? Number(raw.workers.trim()) : NaN;
  if (requestedWorkers > 1 && typeof raw.database === 'string' && isMemoryDatabase(raw.database)) {
    problems.push(
      `GATEHOUSE_WORKERS (workers): ${requestedWorkers} processes cannot share an in-memory database; set GATEHOUSE_DATABASE to a file (sqlite:./data/gatehouse.db) or GATEHOUSE_WORKERS to 1`,
    );
  }
  if (problems.length > 0 || !result.success) throw new SettingsError(problems);
  return result.data;
}
