import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { cgroupCpuQuota, cpuCount, parseCfsQuota, parseCpuMax } from '../../src/config/cpu-count.js';

/**
 * The default worker count under container CPU quotas, over fake cgroup trees in a
 * temp folder: cgroup v2 `cpu.max`, cgroup v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`,
 * none at all, and files that hold garbage.
 */

describe('cpuCount', () => {
  const base = mkdtempSync(join(tmpdir(), 'gatehouse-cgroup-'));
  let root: string;
  let selfCgroup: string;
  let counter = 0;
  /** Writes `files` (paths relative to the fake cgroup root). */
  const tree = (files: Record<string, string>, membership = '0::/\n') => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(root, path)), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    writeFileSync(selfCgroup, membership);
  };
  const count = (available = 64) => cpuCount({ cgroupRoot: root, selfCgroup, available });

  beforeEach(() => {
    counter += 1;
    root = join(base, `case-${counter}`, 'sys-fs-cgroup');
    selfCgroup = join(base, `case-${counter}`, 'proc-self-cgroup');
    mkdirSync(root, { recursive: true });
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('caps the cores at a cgroup v2 quota, rounding up', () => {
    tree({ 'cpu.max': '200000 100000\n' });
    assert.equal(count(), 2);
    tree({ 'cpu.max': '150000 100000\n' });
    assert.equal(count(), 2, '1.5 CPUs: two workers, not one');
    tree({ 'cpu.max': '50000 100000\n' });
    assert.equal(count(), 1, 'half a CPU: still one worker');
    tree({ 'cpu.max': '800000 100000\n' });
    assert.equal(count(4), 4, 'a quota over the cores does not add workers');
  });

  it('uses every core when cgroup v2 says max', () => {
    tree({ 'cpu.max': 'max 100000\n' });
    assert.equal(cgroupCpuQuota({ cgroupRoot: root, selfCgroup }), undefined);
    assert.equal(count(), 64);
  });

  it('reads cgroup v1 quota and period', () => {
    tree({ 'cpu/cpu.cfs_quota_us': '300000\n', 'cpu/cpu.cfs_period_us': '100000\n' }, '4:cpu,cpuacct:/\n');
    assert.equal(count(), 3);
    tree({ 'cpu/cpu.cfs_quota_us': '25000\n', 'cpu/cpu.cfs_period_us': '10000\n' }, '4:cpu,cpuacct:/\n');
    assert.equal(count(), 3, '2.5 CPUs');
  });

  it('finds cgroup v1 mounted as cpu,cpuacct', () => {
    tree({ 'cpu,cpuacct/cpu.cfs_quota_us': '200000\n', 'cpu,cpuacct/cpu.cfs_period_us': '100000\n' }, '4:cpu,cpuacct:/\n');
    assert.equal(count(), 2);
  });

  it('uses every core when cgroup v1 says -1', () => {
    tree({ 'cpu/cpu.cfs_quota_us': '-1\n', 'cpu/cpu.cfs_period_us': '100000\n' }, '4:cpu,cpuacct:/\n');
    assert.equal(count(), 64);
  });

  it('uses every core when there are no cgroup files at all', () => {
    assert.equal(cgroupCpuQuota({ cgroupRoot: join(root, 'missing'), selfCgroup: join(root, 'missing-too') }), undefined);
    assert.equal(cpuCount({ cgroupRoot: join(root, 'missing'), selfCgroup: join(root, 'missing-too'), available: 12 }), 12);
  });

  it('ignores files that hold garbage', () => {
    for (const text of ['', 'banana', 'max', '-5 100000', '200000 0', '200000 banana', '0 100000', '2.5 1', '200000 100000 7']) {
      tree({ 'cpu.max': text });
      assert.equal(count(), 64, JSON.stringify(text));
    }
    rmSync(join(root, 'cpu.max'));
    for (const [quota, period] of [['banana', '100000'], ['200000', ''], ['200000', '0'], ['-2', '100000']]) {
      tree({ 'cpu/cpu.cfs_quota_us': quota!, 'cpu/cpu.cfs_period_us': period! }, 'garbage line\n4:cpu:/\n');
      assert.equal(count(), 64, `${quota}/${period}`);
    }
  });

  it('applies the quota of the process’s own cgroup and of its parents, the smallest winning', () => {
    // A systemd service under a slice, as /proc/self/cgroup names it on a host.
    tree(
      { 'system.slice/cpu.max': '300000 100000\n', 'system.slice/gatehouse.service/cpu.max': 'max 100000\n' },
      '0::/system.slice/gatehouse.service\n',
    );
    assert.equal(count(), 3, 'the slice limits the service');
    tree({ 'system.slice/gatehouse.service/cpu.max': '100000 100000\n' }, '0::/system.slice/gatehouse.service\n');
    assert.equal(count(), 1, 'the service’s own, smaller, limit');
  });

  it('reads the mount point when the cgroup path is one from outside the container', () => {
    tree({ 'cpu.max': '200000 100000\n' }, '0::/kubepods/burstable/pod1234/abcdef\n');
    assert.equal(count(), 2);
    tree({ 'cpu/cpu.cfs_quota_us': '100000', 'cpu/cpu.cfs_period_us': '100000' }, '4:cpu,cpuacct:/docker/0123abcd\n');
    rmSync(join(root, 'cpu.max'));
    assert.equal(count(), 1);
  });

  it('parses the formats on their own', () => {
    assert.equal(parseCpuMax('200000 100000'), 2);
    assert.equal(parseCpuMax('150000'), 1.5, 'the period defaults to 100000');
    assert.equal(parseCpuMax('max 100000'), undefined);
    assert.equal(parseCpuMax(undefined), undefined);
    assert.equal(parseCfsQuota('-1', '100000'), undefined);
    assert.equal(parseCfsQuota('50000\n', '100000\n'), 0.5);
  });

  it('is never below 1 and never above the cores on this machine', () => {
    const here = cpuCount();
    assert.ok(here >= 1 && here <= availableParallelism());
    assert.equal(cpuCount({ cgroupRoot: join(root, 'missing'), selfCgroup: join(root, 'missing'), available: 0 }), 1);
  });
});
