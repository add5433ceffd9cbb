import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The child processes of a bench run (upstream, Okta stand-in, gateway, Apache), each
 * logging to its own file, and their cleanup. Every child is tracked so that an error
 * or Ctrl+C never leaves a server behind on a loopback port.
 */
export interface Service {
  name: string;
  child: ChildProcess;
  pid: number;
  logFile: string;
  /** Stops the process (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(): Promise<void>;
}

const running = new Set<Service>();

export function startService(options: {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
}): Service {
  // Output goes to a file, not a pipe: a pipe the bench forgot to drain would stall the
  // server, and a file is there to read when something fails.
  const fd = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${options.name} could not be started (${options.command})`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const service: Service = {
    name: options.name,
    child,
    pid: child.pid,
    logFile: options.logFile,
    async stop() {
      running.delete(service);
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
  running.add(service);
  return service;
}

/** Stops every service still running (end of run, error, signal). */
export async function stopAll(): Promise<void> {
  await Promise.allSettled([...running].map((service) => service.stop()));
}

// Last resort when the bench dies without cleaning up: children must not outlive it.
process.once('exit', () => {
  for (const service of running) service.child.kill('SIGKILL');
});

/** Fails with the service's log when it is no longer running (a crash during a load run). */
export function assertRunning(service: Service, during: string): void {
  if (service.child.exitCode === null && service.child.signalCode === null) return;
  throw new Error(`${service.name} exited during ${during} (code ${service.child.exitCode ?? service.child.signalCode}); its log ends with:\n${logTail(service)}`);
}

/** The last lines of a service's log, for error messages. */
export function logTail(service: Service, lines = 30): string {
  try {
    return readFileSync(service.logFile, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Polls `probe` until it returns true; fails with the service's log if it exits or time runs out. */
export async function waitUntil(
  description: string,
  probe: () => Promise<boolean>,
  options: { timeoutMs?: number; service?: Service } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    const { service } = options;
    if (service && (service.child.exitCode !== null || service.child.signalCode !== null)) {
      throw new Error(`${service.name} exited while waiting for ${description}:\n${logTail(service)}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  const tail = options.service ? `\n${options.service.name} log:\n${logTail(options.service)}` : '';
  throw new Error(`timed out waiting for ${description}${lastError ? ` (last error: ${String(lastError)})` : ''}${tail}`);
}

/** True when `url` answers at all (any status). */
export async function answers(url: string): Promise<boolean> {
  const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return true;
}

/**
 * Resident memory of a process and all its descendants (a clustered gateway is a
 * primary and its workers), from /proc. Linux only; elsewhere the memory scenario is skipped.
 */
export function processTreeRss(rootPid: number): { totalBytes: number; processes: Array<{ pid: number; name: string; rssBytes: number }> } {
  const processes: Array<{ pid: number; name: string; rssBytes: number }> = [];
  const visit = (pid: number) => {
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      return; // exited since it was listed
    }
    const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
    const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
    // tsx's esbuild service (--gateway=tsx only) is the loader's, not the gateway's.
    if (name !== 'esbuild') processes.push({ pid, name, rssBytes: kb * 1024 });
    for (const child of childrenOf(pid)) visit(child);
  };
  visit(rootPid);
  return { totalBytes: processes.reduce((sum, entry) => sum + entry.rssBytes, 0), processes };
}

/**
 * CPU time (user + system, in seconds) a process and its descendants have used so far,
 * from /proc/<pid>/stat; null where /proc is missing. Read before and after a load run,
 * the difference is what serving it cost the server, whatever else the machine was doing.
 */
export function processTreeCpuSeconds(rootPid: number): number | null {
  if (!procAvailable()) return null;
  let ticks = 0;
  for (const pid of treePids(rootPid)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited since it was listed
    }
    // The command name (field 2) may hold spaces; fields 14 and 15 (utime, stime) follow its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicksPerSecond();
}

let clockTicks: number | undefined;
function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // USER_HZ on every Linux architecture Node runs on
    }
  }
  return clockTicks;
}

/** The pids of a process and its descendants; empty where /proc is missing. */
export function treePids(rootPid: number): Set<number> {
  if (!procAvailable()) return new Set();
  return new Set(processTreeRss(rootPid).processes.map((entry) => entry.pid));
}

function childrenOf(pid: number): number[] {
  const children: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return children;
  }
  for (const task of tasks) {
    let list = '';
    try {
      list = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const id of list.trim().split(/\s+/)) if (id) children.push(Number(id));
  }
  return children;
}

export function procAvailable(): boolean {
  try {
    readFileSync('/proc/self/status');
    return true;
  } catch {
    return false;
  }
}
