import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveKeys } from '../../src/config/keys.js';
import { cpuCount } from '../../src/config/cpu-count.js';
import { loadSettings, workerCount } from '../../src/config/settings.js';
import { silentLogger } from '../../src/log.js';

describe('settings', () => {
  it('has Kong-like defaults', () => {
    const settings = loadSettings({ env: {} });
    assert.deepEqual(settings.proxy_listen, { host: '0.0.0.0', port: 8000 });
    assert.deepEqual(settings.admin_listen, { host: '127.0.0.1', port: 8001 });
    assert.equal(settings.database, 'sqlite:./data/gatehouse.db');
    assert.equal(settings.keys, undefined);
  });

  it('reads the environment over the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-settings-'));
    const file = join(dir, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ proxy_listen: '127.0.0.1:9100', admin_listen: '127.0.0.1:9101' }));
    const settings = loadSettings({ env: { GATEHOUSE_CONFIG: file, GATEHOUSE_ADMIN_LISTEN: '[::1]:9200' } });
    assert.deepEqual(settings.proxy_listen, { host: '127.0.0.1', port: 9100 });
    assert.deepEqual(settings.admin_listen, { host: '::1', port: 9200 });
  });

  it('lists every bad setting at once, each with its variable and the fix', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-settings-'));
    const file = join(dir, 'gatehouse.json');
    writeFileSync(file, JSON.stringify({ proxy_lisen: '1' }));
    try {
      loadSettings({
        env: {
          GATEHOUSE_CONFIG: file,
          GATEHOUSE_ADMIN_LISTEN: 'localhost',
          GATEHOUSE_DATABASE: 'postgres://x',
          GATEHOUSE_KEYS: 'short',
          GATEHOUSE_PROXY_LISTEN: '0.0.0.0:99999',
        },
      });
      assert.fail('expected an error');
    } catch (error) {
      const message = (error as Error).message;
      assert.equal((error as { code?: string }).code, 'GH-CONFIG-INVALID');
      assert.match(message, /GATEHOUSE_ADMIN_LISTEN \(admin_listen\): "localhost" is not host:port/);
      assert.match(message, /GATEHOUSE_PROXY_LISTEN/);
      assert.match(message, /GATEHOUSE_DATABASE \(database\): expected sqlite:/);
      assert.match(message, /GATEHOUSE_KEYS \(keys\): .*openssl rand/);
      assert.match(message, /proxy_lisen: unknown setting/);
    }
  });

  it('generates a key into the data folder once, readable by the owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-keys-'));
    const settings = loadSettings({ env: { GATEHOUSE_DATA_DIR: dir } });
    const first = resolveKeys(settings, silentLogger());
    const second = resolveKeys(settings, silentLogger());
    assert.deepEqual(first, second);
    assert.equal(first[0]!.length >= 32, true);
    assert.equal(statSync(join(dir, 'keys')).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, 'keys'), 'utf8').trim(), first[0]);
  });

  it('runs one proxy worker per usable CPU unless GATEHOUSE_WORKERS says otherwise', () => {
    assert.equal(workerCount(loadSettings({ env: {} })), cpuCount());
    assert.equal(workerCount(loadSettings({ env: { GATEHOUSE_WORKERS: '1' } })), 1);
    assert.equal(workerCount(loadSettings({ env: { GATEHOUSE_WORKERS: ' 3 ' } })), 3);
    // An in-memory database lives in one process: one process unless asked otherwise.
    assert.equal(workerCount(loadSettings({ env: { GATEHOUSE_DATABASE: 'sqlite::memory:' } })), 1);
  });

  it('refuses a bad GATEHOUSE_WORKERS, and workers over an in-memory database, with the other problems', () => {
    for (const value of ['0', 'two', '-1', '1.5', '5000']) {
      assert.throws(() => loadSettings({ env: { GATEHOUSE_WORKERS: value } }), /GATEHOUSE_WORKERS \(workers\): .*number of processes/, value);
    }
    assert.throws(
      () => loadSettings({ env: { GATEHOUSE_WORKERS: '2', GATEHOUSE_DATABASE: 'sqlite::memory:', GATEHOUSE_KEYS: 'short' } }),
      (error: Error) => /GATEHOUSE_WORKERS \(workers\): 2 processes cannot share an in-memory database/.test(error.message) && /GATEHOUSE_KEYS/.test(error.message),
    );
  });

  it('uses GATEHOUSE_KEYS when set, first key first', () => {
    const keys = 'a'.repeat(32) + ',' + 'b'.repeat(40);
    const settings = loadSettings({ env: { GATEHOUSE_KEYS: keys } });
    assert.deepEqual(resolveKeys(settings, silentLogger()), ['a'.repeat(32), 'b'.repeat(40)]);
  });
});
