import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import type { SessionEvents, SessionNotice } from '../../src/sessions/events.js';
import { DatabaseSessionBackend } from '../../src/sessions/database-backend.js';
import { TieredSessionStore } from '../../src/sessions/tiered-store.js';
import { migrateToLatest, openDatabase } from '../../src/store/index.js';
import type { Database } from '../../src/store/schema.js';

/**
 * Two "processes" in one: two tiered stores, each with its own memory tier and its own
 * connection to one SQLite file, told about each other's changes by a bus standing in
 * for the cluster's relay (src/cluster/primary.ts).
 */
class Bus {
  readonly members: Array<(notice: SessionNotice) => void> = [];
  readonly published: Array<{ notice: SessionNotice; wait: boolean }> = [];

  member(): SessionEvents {
    let self: ((notice: SessionNotice) => void) | undefined;
    return {
      publish: async (notice, { wait }) => {
        this.published.push({ notice, wait });
        for (const apply of this.members) if (apply !== self) apply(notice);
      },
      subscribe: (apply) => {
        self = apply;
        this.members.push(apply);
      },
    };
  }
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

describe('TieredSessionStore across processes', () => {
  let dir: string;
  const dbs: Kysely<Database>[] = [];
  const keyRing = KeyRing.fromSecrets(['k'.repeat(32)]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tiered-'));
  });
  after(async () => {
    await Promise.all(dbs.map((db) => db.destroy()));
    rmSync(dir, { recursive: true, force: true });
  });

  async function processes(name: string) {
    const url = `sqlite:${join(dir, `${name}.db`)}`;
    const first = await openDatabase(url);
    await migrateToLatest(first);
    const second = await openDatabase(url);
    dbs.push(first, second);
    const bus = new Bus();
    const backingA = new DatabaseSessionBackend(first, keyRing);
    const backingB = new DatabaseSessionBackend(second, keyRing);
    return {
      bus,
      backingA,
      backingB,
      a: new TieredSessionStore(backingA, { events: bus.member() }),
      b: new TieredSessionStore(backingB, { events: bus.member() }),
    };
  }

  it('a removal in one process reaches the memory of the others, and waits for them', async () => {
    const { a, b, bus } = await processes('removal');
    await a.set('sess:1', { n: 1 }, inAnHour(), 'alice');
    await a.set('sess:2', { n: 2 }, inAnHour(), 'alice');
    await a.set('sess:3', { n: 3 }, inAnHour(), 'bob');
    // B reads them once from the database, then from memory.
    assert.deepEqual(await b.get('sess:1'), { n: 1 });
    assert.deepEqual(await b.get('sess:2'), { n: 2 });
    assert.deepEqual(await b.get('sess:3'), { n: 3 });
    assert.equal(b.memory.size, 3);

    await a.delete('sess:1');
    assert.equal(await b.get('sess:1'), undefined);
    assert.equal(await a.deleteBySubject('alice'), 1);
    assert.equal(await b.get('sess:2'), undefined);
    assert.deepEqual(await a.take('sess:3'), { n: 3 });
    assert.equal(await b.get('sess:3'), undefined);
    assert.equal(b.memory.size, 0);

    const removals = bus.published.filter((entry) => entry.wait);
    assert.deepEqual(
      removals.map((entry) => entry.notice),
      [{ ids: ['sess:1'] }, { ids: ['sess:2'] }, { ids: ['sess:3'] }],
    );
    assert.ok(bus.published.filter((entry) => !entry.wait).every((entry) => entry.notice.ids?.length === 1), 'writes are announced without waiting');
  });

  it('a rewrite in one process replaces the stale copy in the others', async () => {
    const { a, b } = await processes('rewrite');
    await a.set('sess:1', { v: 1 }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    assert.equal(await a.replace('sess:1', { v: 2 }, inAnHour()), true);
    assert.deepEqual(await b.get('sess:1'), { v: 2 });
  });

  it('a rewrite never brings back a session another process ended', async () => {
    const { a, b } = await processes('resurrect');
    await a.set('sess:1', { v: 1 }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    await a.delete('sess:1');
    // B had read the session before the sign-out and writes its idle clock afterwards.
    assert.equal(await b.replace('sess:1', { v: 1, seen: 2 }, inAnHour()), false);
    assert.equal(await a.get('sess:1'), undefined);
    assert.equal(await b.get('sess:1'), undefined);
  });

  for (const removal of ['by id', 'by subject'] as const) {
    it(`does not cache a record read while a removal ${removal} happened`, async () => {
      const { a, b, backingB } = await processes(`overlap-${removal.replace(' ', '-')}`);
      await a.set('sess:1', { v: 1 }, inAnHour(), 'alice');
      // B's read of the database is slow; A's sign-out lands while it is in flight.
      const slowGet = backingB.get.bind(backingB);
      let release!: () => void;
      let readDone!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const read = new Promise<void>((resolve) => (readDone = resolve));
      backingB.get = async (id: string) => {
        const record = await slowGet(id);
        readDone();
        await gate;
        return record;
      };
      const reading = b.get('sess:1');
      await read;
      if (removal === 'by id') await a.delete('sess:1');
      else await a.deleteBySubject('alice');
      release();
      // The read started before the sign-out finished: it may answer its own request…
      assert.deepEqual(await reading, { v: 1 });
      backingB.get = slowGet;
      // …but is not kept: the next request reads the database and finds nothing.
      assert.equal(b.memory.size, 0);
      assert.equal(await b.get('sess:1'), undefined);
    });
  }

  it('peeks at its memory only: a record another process wrote is not there until read', async () => {
    const { a, b } = await processes('peek');
    await a.set('sess:1', { v: 1 }, inAnHour());
    assert.deepEqual(a.peek('sess:1'), { v: 1 }, 'written here');
    assert.equal(b.peek('sess:1'), undefined, 'in the store, not in this memory: get must ask');
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    assert.equal(b.peek('sess:1'), await b.get('sess:1'), 'the copy get keeps');
    await a.delete('sess:1');
    assert.equal(b.peek('sess:1'), undefined, 'the removal reached it');
  });

  it('reads past the memory copy on demand (fresh)', async () => {
    const { a, b, backingA } = await processes('fresh');
    await a.set('sess:1', { v: 1 }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    // Written behind B's back (no notice): only fresh() sees it.
    await backingA.set('sess:1', { record: { v: 2 }, expiresAt: inAnHour() }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    assert.deepEqual(await b.fresh('sess:1'), { v: 2 });
    assert.deepEqual(await b.get('sess:1'), { v: 2 });
    // Ended behind B's back: fresh() finds nothing, and the memory copy goes too.
    await backingA.delete('sess:1');
    assert.deepEqual(await b.get('sess:1'), { v: 2 });
    assert.equal(await b.fresh('sess:1'), undefined);
    assert.equal(await b.get('sess:1'), undefined);
  });
});
