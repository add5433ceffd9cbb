import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import { SignInThrottle } from '../../src/sign-in/throttle.js';
import { migrateToLatest, openDatabase, type Database } from '../../src/store/index.js';

/**
 * The password sign-in throttle over a real SQLite file, as proxy workers share it:
 * the limits, the window, what a success gives back, and counts that stay exact when
 * several processes, each with its own connection like a proxy worker, count at once.
 */

const SECRET = 'sign-in-throttle-test-key-0123456789abcdef';
const ACCOUNT = 'org-1:victim@example.com';
const WINDOW = SignInThrottle.WINDOW_MS;

describe('SignInThrottle', () => {
  let dir: string;
  let file: string;
  let db: Kysely<Database>;
  let clock: number;
  const keyRing = KeyRing.fromSecrets([SECRET]);
  const hash = (key: string) => keyRing.fingerprint('sign-in-throttle', key);
  /** A throttle with its own connection to the file, as another process has. */
  const connections: Array<Kysely<Database>> = [];
  const another = async () => {
    const connection = await openDatabase(`sqlite:${file}`);
    connections.push(connection);
    return new SignInThrottle(connection, { hash, now: () => clock });
  };
  let throttle: SignInThrottle;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-throttle-'));
    file = join(dir, 'gatehouse.db');
    db = await openDatabase(`sqlite:${file}`);
    await migrateToLatest(db);
  });
  beforeEach(async () => {
    await db.deleteFrom('sign_in_failures').execute();
    clock = Date.UTC(2026, 0, 1);
    throttle = new SignInThrottle(db, { hash, now: () => clock });
  });
  after(async () => {
    await Promise.all([db.destroy(), ...connections.map((connection) => connection.destroy())]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('locks an account after five failures for the rest of the fifteen-minute window', async () => {
    for (let i = 1; i <= SignInThrottle.LIMIT; i++) {
      assert.equal(await throttle.retryAfter(ACCOUNT, `client-${i}`), 0, `attempt ${i} may try`);
      assert.equal(await throttle.fail(ACCOUNT, `client-${i}`), 0, `attempt ${i} is within the limit`);
    }
    assert.equal(await throttle.retryAfter(ACCOUNT, 'client-new'), WINDOW / 1000, 'locked from any address, until the window closes');
    assert.equal(await throttle.retryAfter('org-1:other@example.com', 'client-1'), 0, 'other accounts are not locked');
    clock += 10 * 60_000;
    assert.equal(await throttle.retryAfter(ACCOUNT, 'client-new'), 5 * 60, 'the window opened at the first failure');
    clock += 5 * 60_000 - 1;
    assert.equal(await throttle.retryAfter(ACCOUNT, 'client-new'), 1);
    clock += 1;
    assert.equal(await throttle.retryAfter(ACCOUNT, 'client-new'), 0, 'the window closed');
    assert.equal(await throttle.fail(ACCOUNT, 'client-new'), 0, 'a new window starts at one');
    const rows = await db.selectFrom('sign_in_failures').selectAll().where('key', '=', hash(`a:${ACCOUNT}`)).execute();
    assert.deepEqual(rows.map((row) => [Number(row.count), Number(row.since)]), [[1, clock]]);
  });

  it('refuses an attempt that went past the limit although it passed retryAfter (parallel guesses)', async () => {
    for (let i = 0; i < SignInThrottle.LIMIT - 1; i++) await throttle.fail(ACCOUNT, 'client-a');
    // Three guesses all read "not locked" before any of them counted.
    const checks = await Promise.all([1, 2, 3].map(() => throttle.retryAfter(ACCOUNT, 'client-a')));
    assert.deepEqual(checks, [0, 0, 0]);
    const counted = await Promise.all([1, 2, 3].map(() => throttle.fail(ACCOUNT, 'client-a')));
    assert.deepEqual(counted.map((wait) => wait > 0), [false, true, true], 'only one of them gets a password check');
  });

  it('locks a client address after twenty failures over any accounts', async () => {
    for (let i = 0; i < SignInThrottle.ADDRESS_LIMIT; i++) assert.equal(await throttle.fail(`org-1:user${i}@example.com`, 'client-a'), 0);
    assert.equal(await throttle.retryAfter('org-1:fresh@example.com', 'client-a'), WINDOW / 1000);
    assert.equal(await throttle.retryAfter('org-1:fresh@example.com', 'client-b'), 0, 'other addresses are not locked');
  });

  it('clears the account on success and gives the address one attempt back', async () => {
    for (let i = 0; i < SignInThrottle.LIMIT - 1; i++) await throttle.fail(ACCOUNT, 'client-a');
    await throttle.fail('org-1:someone@example.com', 'client-a');
    // The success's own attempt was counted first, as the route does.
    await throttle.fail(ACCOUNT, 'client-a');
    await throttle.succeed(ACCOUNT, 'client-a');
    const count = async (key: string) =>
      Number((await db.selectFrom('sign_in_failures').select('count').where('key', '=', hash(key)).executeTakeFirst())?.count ?? 0);
    assert.equal(await count(`a:${ACCOUNT}`), 0, 'the account starts afresh');
    assert.equal(await count('ip:client-a'), 5, 'six failures from the address, one of them taken back');
    for (let i = 0; i < SignInThrottle.LIMIT - 1; i++) assert.equal(await throttle.fail(ACCOUNT, `client-${i}`), 0);
    assert.equal(await throttle.retryAfter(ACCOUNT, 'client-z'), 0, 'four failures after a success do not lock');
  });

  it('shares the counts between connections to the same file', async () => {
    const [one, two] = [await another(), await another()];
    for (let i = 0; i < SignInThrottle.LIMIT; i++) await (i % 2 ? one : two).fail(ACCOUNT, `client-${i}`);
    assert.ok((await one.retryAfter(ACCOUNT, 'client-x')) > 0);
    assert.ok((await two.retryAfter(ACCOUNT, 'client-x')) > 0);
    await one.succeed(ACCOUNT, 'client-x');
    assert.equal(await two.retryAfter(ACCOUNT, 'client-x'), 0, 'a success in one process unlocks the account in the others');
  });

  it('keeps exact counts when processes with their own connections count at once', async () => {
    const processes = 4;
    const attempts = 150;
    const children = Array.from({ length: processes }, (_, index) => {
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          fileURLToPath(new URL('./throttle-process.ts', import.meta.url)),
          JSON.stringify({ file, secret: SECRET, account: ACCOUNT, attempts, name: `p${index}` }),
        ],
        { stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      const line = (pattern: RegExp) =>
        new Promise<RegExpExecArray>((resolve, reject) => {
          const check = () => {
            const match = pattern.exec(output);
            if (match) {
              child.stdout.off('data', check);
              resolve(match);
            }
          };
          child.stdout.on('data', check);
          child.once('exit', (code) => reject(new Error(`process ${index} exited with ${code}: ${output}`)));
          check();
        });
      return { child, ready: line(/^ready$/m), done: line(/^(\{.*\})$/m) };
    });
    try {
      await Promise.all(children.map((child) => child.ready));
      // Every process starts together: each has opened the file and waits for this line.
      for (const { child } of children) child.stdin.write('go\n');
      const results = await Promise.all(children.map(async (child) => JSON.parse((await child.done)[1]!) as { allowed: number }));
      const row = await db.selectFrom('sign_in_failures').select('count').where('key', '=', hash(`a:${ACCOUNT}`)).executeTakeFirstOrThrow();
      assert.equal(Number(row.count), processes * attempts, 'no failure was lost');
      assert.equal(results.reduce((sum, result) => sum + result.allowed, 0), SignInThrottle.LIMIT, 'exactly five attempts got a password check');
    } finally {
      for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('stores keyed hashes, never the email or the address', async () => {
    await throttle.fail('org-1:Someone.Typed@Example.com', '203.0.113.7');
    const keys = (await db.selectFrom('sign_in_failures').select('key').execute()).map((row) => row.key);
    assert.equal(keys.length, 2);
    for (const key of keys) assert.match(key, /^[A-Za-z0-9_-]{43}$/);
    const bytes = [file, `${file}-wal`].filter((path) => existsSync(path)).map((path) => readFileSync(path).toString('latin1')).join('');
    assert.ok(!/someone\.typed|203\.0\.113\.7/i.test(bytes), 'nothing typed reaches the file');
  });

  it('purges counts whose window closed', async () => {
    await throttle.fail(ACCOUNT, 'client-old');
    clock += WINDOW - 1;
    await throttle.fail('org-1:recent@example.com', 'client-recent');
    clock += 1;
    assert.equal(await throttle.purgeExpired(), 2, 'the old account and address');
    const left = await db.selectFrom('sign_in_failures').select('key').execute();
    assert.deepEqual(new Set(left.map((row) => row.key)), new Set([hash('a:org-1:recent@example.com'), hash('ip:client-recent')]));
  });
});
