import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { posix } from 'node:path';

/**
 * How many CPUs this process may really use: the cores it may run on
 * (`os.availableParallelism()`), capped by a cgroup CPU quota, rounded up, never
 * below 1. `availableParallelism()` counts the host's cores (and the affinity mask) but
 * not a quota, so a container limited to 2 CPUs on a 64-core host would otherwise
 * start 64 workers that the kernel then throttles in turn.
 */
export function cpuCount(options: CpuCountOptions = {}): number {
  const available = options.available ?? availableParallelism();
  const quota = cgroupCpuQuota(options);
  const count = quota === undefined ? available : Math.min(available, Math.ceil(quota));
  return Math.max(1, count);
}

export interface CpuCountOptions {
  /** Where cgroups are mounted; tests point it at a folder of fake files. */
  cgroupRoot?: string;
  /** This process's cgroup memberships (`/proc/self/cgroup`). */
  selfCgroup?: string;
  /** The cores the process may run on; default `os.availableParallelism()`. */
  available?: number;
}

/**
 * The CPU quota in CPUs (1.5 = one and a half), or undefined when there is none or it
 * cannot be read. cgroup v2 `cpu.max` ("max 100000": none; "200000 100000": 2), else
 * cgroup v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us` (-1: none). The files are read in
 * this process's own cgroup and every ancestor up to the mount point, and the smallest
 * quota wins: a limit on a parent (a systemd slice, a pod) binds its children. In a
 * container the process's cgroup is usually the mount point itself, and a path
 * `/proc/self/cgroup` names from outside the container does not exist under it, which
 * leaves the mount point's own files.
 */
export function cgroupCpuQuota(options: Omit<CpuCountOptions, 'available'> = {}): number | undefined {
  const root = options.cgroupRoot ?? '/sys/fs/cgroup';
  const memberships = readCgroupMemberships(options.selfCgroup ?? '/proc/self/cgroup');
  const quotas: number[] = [];

  for (const dir of ancestry(root, memberships.unified)) {
    const quota = parseCpuMax(readText(posix.join(dir, 'cpu.max')));
    if (quota !== undefined) quotas.push(quota);
  }
  if (quotas.length === 0) {
    // cgroup v1 mounts the cpu controller under one of these names (often a link to the next).
    for (const controller of ['cpu', 'cpu,cpuacct', 'cpuacct,cpu']) {
      for (const dir of ancestry(posix.join(root, controller), memberships.cpu)) {
        const quota = parseCfsQuota(readText(posix.join(dir, 'cpu.cfs_quota_us')), readText(posix.join(dir, 'cpu.cfs_period_us')));
        if (quota !== undefined) quotas.push(quota);
      }
      if (quotas.length > 0) break;
    }
  }
  return quotas.length === 0 ? undefined : Math.min(...quotas);
}

/** cgroup v2 `cpu.max`: "$MAX $PERIOD", MAX being "max" for no limit; the period defaults to 100000. */
export function parseCpuMax(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const [max, period = '100000', ...rest] = text.trim().split(/\s+/);
  if (max === 'max' || rest.length > 0) return undefined;
  return ratio(max, period);
}

/** cgroup v1: quota and period in microseconds; a quota of -1 means no limit. */
export function parseCfsQuota(quota: string | undefined, period: string | undefined): number | undefined {
  if (quota === undefined || period === undefined) return undefined;
  return ratio(quota.trim(), period.trim());
}

function ratio(quota: string | undefined, period: string | undefined): number | undefined {
  if (!quota || !period || !/^\d+$/.test(quota) || !/^\d+$/.test(period)) return undefined;
  const [q, p] = [Number(quota), Number(period)];
  return q > 0 && p > 0 ? q / p : undefined;
}

/** The cgroup paths of this process: the unified (v2) one and the v1 cpu controller's. */
function readCgroupMemberships(file: string): { unified: string; cpu: string } {
  const found = { unified: '/', cpu: '/' };
  for (const line of (readText(file) ?? '').split('\n')) {
    // "hierarchy-ID:controller-list:cgroup-path"; the path may itself hold colons.
    const match = /^(\d+):([^:]*):(\/.*)$/.exec(line.trim());
    if (!match) continue;
    const [, id, controllers, path] = match;
    if (id === '0' && controllers === '') found.unified = path!;
    else if (controllers!.split(',').includes('cpu')) found.cpu = path!;
  }
  return found;
}

/** `root` + `path`, then each parent of it up to `root` itself. */
function ancestry(root: string, path: string): string[] {
  const dirs: string[] = [];
  // normalize() keeps ".." from climbing above the mount point.
  let current = posix.normalize(`/${path}`);
  for (;;) {
    dirs.push(posix.join(root, current));
    if (current === '/') return dirs;
    current = posix.dirname(current);
  }
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
