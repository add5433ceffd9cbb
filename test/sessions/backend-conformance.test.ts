import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import { DatabaseSessionBackend } from '../../src/sessions/database-backend.js';
import { MemorySessionBackend } from '../../src/sessions/memory-backend.js';
import type { SessionBackend } from '../../src/sessions/store.js';
import { migrateToLatest, openDatabase } from '../../src/store/index.js';
import type { Database } from '../../src/store/schema.js';

/**
 * What every session backend promises (the list in src/sessions/store.ts), checked
 * against each. `open` gives two clients of one fresh store — two processes on one
 * database, or one process where the backend is in memory — so that what one writes,
 * takes or leases, the other sees.
 */
interface BackendUnderTest {
  name: string;
  open(): Promise<{ one: SessionBackend; other: SessionBackend }>;
}

let dir: string;
const dbs: Kysely<Database>[] = [];
const keyRing = KeyRing.fromSecrets(['k'.repeat(32)]);
let opened = 0;

const backends: BackendUnderTest[] = [
  {
    name: 'memory',
    open: async () => {
      const backend = new MemorySessionBackend();
      return { one: backend, other: backend };
    },
  },
  {
    name: 'SQLite',
    open: async () => {
      const url = `sqlite:${join(dir, `sessions-${(opened += 1)}.db`)}`;
      const first = await openDatabase(url);
      await migrateToLatest(first);
      const second = await openDatabase(url);
      dbs.push(first, second);
      return { one: new DatabaseSessionBackend(first, keyRing), other: new DatabaseSessionBackend(second, keyRing) };
    },
  },
];

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const aSecondAgo = () => Math.floor(Date.now() / 1000) - 1;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-session-backends-'));
});
after(async () => {
  await Promise.all(dbs.map((db) => db.destroy()));
  rmSync(dir, { recursive: true, force: true });
});

for (const backend of backends) {
  describe(`session backend: ${backend.name}`, () => {
    it('answers what was written, as JSON gives it back, to every client', async () => {
      const { one, other } = await backend.open();
      const record = { n: 1, list: ['a'], gone: undefined };
      await one.set('a', record, inAnHour());
      record.n = 2;
      assert.deepEqual(await other.get('a'), { n: 1, list: ['a'] }, 'a copy, not the object written');
      const read = (await one.get('a')) as { n: number };
      read.n = 3;
      assert.deepEqual(await one.get('a'), { n: 1, list: ['a'] }, 'nor the object read');
      await other.set('a', { n: 4 }, inAnHour());
      assert.deepEqual(await one.get('a'), { n: 4 }, 'set overwrites');
      assert.equal(await one.get('missing'), undefined);
    });

    it('never answers an expired record', async () => {
      const { one, other } = await backend.open();
      await one.set('old', { n: 1 }, aSecondAgo(), 'alice');
      assert.equal(await other.get('old'), undefined);
      assert.equal(await other.take('old'), undefined);
      assert.equal(await other.replace('old', { n: 2 }, inAnHour(), 'alice'), false, 'nor brings it back');
      assert.equal(await one.get('old'), undefined);
    });

    it('replaces only a record that exists, and moves it to its new subject', async () => {
      const { one, other } = await backend.open();
      assert.equal(await one.replace('a', { n: 1 }, inAnHour()), false, 'never written');
      assert.equal(await one.get('a'), undefined);
      await one.set('a', { n: 1 }, inAnHour(), 'alice');
      assert.equal(await other.replace('a', { n: 2 }, inAnHour(), 'bob'), true);
      assert.deepEqual(await one.get('a'), { n: 2 });
      assert.deepEqual(await one.deleteBySubject('alice'), [], 'no longer alice’s');
      await other.delete('a');
      assert.equal(await one.replace('a', { n: 3 }, inAnHour(), 'bob'), false, 'a late write does not bring it back');
      assert.equal(await other.get('a'), undefined);
      assert.deepEqual(await one.deleteBySubject('bob'), []);
    });

    it('lets one of two callers take a record, once', async () => {
      const { one, other } = await backend.open();
      await one.set('state', { n: 1 }, inAnHour());
      const taken = await Promise.all([one.take('state'), other.take('state'), one.take('state')]);
      assert.deepEqual(
        taken.filter((record) => record !== undefined),
        [{ n: 1 }],
      );
      assert.equal(await other.get('state'), undefined);
    });

    it('deletes by id', async () => {
      const { one, other } = await backend.open();
      await one.set('a', { n: 1 }, inAnHour(), 'alice');
      await one.set('b', { n: 2 }, inAnHour(), 'alice');
      await other.delete('a');
      await other.delete('missing');
      assert.equal(await one.get('a'), undefined);
      assert.deepEqual(await one.get('b'), { n: 2 });
      assert.deepEqual(await one.deleteBySubject('alice'), ['b'], 'a deleted record is not answered again');
    });

    it('deletes by subject, answering the ids that went', async () => {
      const { one, other } = await backend.open();
      await one.set('a', 1, inAnHour(), 'x');
      await one.set('b', 2, inAnHour(), 'x');
      await one.set('c', 3, inAnHour(), 'y');
      await one.set('c', 4, inAnHour(), 'x');
      await one.set('d', 5, inAnHour(), 'z');
      await one.set('e', 6, inAnHour());
      await one.set('a', 7, inAnHour(), 'x');
      assert.deepEqual(await other.deleteBySubject('y'), [], 'rewriting c for x took it off y');
      assert.deepEqual((await other.deleteBySubject('x')).sort(), ['a', 'b', 'c'], 'rewritten twice, counted once');
      assert.equal(await one.get('a'), undefined);
      assert.equal(await one.get('c'), undefined);
      assert.equal(await one.get('d'), 5, 'other subjects stay');
      assert.equal(await one.get('e'), 6, 'records without a subject stay');
      assert.deepEqual(await other.deleteBySubject('x'), []);
      assert.deepEqual(await other.deleteBySubject('nobody'), []);
    });

    it('grants a lease to one holder at a time, until released or lapsed', async () => {
      const { one, other } = await backend.open();
      const first = await one.lease('refresh:sess:1', 60_000);
      assert.ok(first);
      assert.equal(await other.lease('refresh:sess:1', 60_000), undefined);
      assert.equal(await one.lease('refresh:sess:1', 60_000), undefined, 'not reentrant either');
      assert.ok(await other.lease('refresh:sess:2', 60_000), 'other names are independent');
      await first.release();
      const second = await other.lease('refresh:sess:1', 1);
      assert.ok(second);
      await new Promise((resolve) => setTimeout(resolve, 5));
      assert.ok(await one.lease('refresh:sess:1', 60_000), 'a lapsed lease is taken over');
      // The old holder's release does not free the new holder's lease.
      await second.release();
      assert.equal(await other.lease('refresh:sess:1', 60_000), undefined);
    });

    it('closes', async () => {
      const { one } = await backend.open();
      await one.close();
    });
  });
}
