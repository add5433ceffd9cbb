import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { KeyRing } from '../../src/crypto/keyring.js';
import type { SessionEvents, SessionNotice } from '../../src/sessions/events.js';
import { DatabaseSessionBackend } from '../../src/sessions/database-backend.js';
import { MemorySessionBackend } from '../../src/sessions/memory-backend.js';
import type { RecordPacking } from '../../src/sessions/memory-tier.js';
import { SessionStore } from '../../src/sessions/store.js';
import { migrateToLatest, openDatabase } from '../../src/store/index.js';
import type { Database } from '../../src/store/schema.js';

/**
 * Two "processes" in one: two session stores, each with its own memory tier and its own
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

describe('SessionStore across processes', () => {
  let dir: string;
  const dbs: Kysely<Database>[] = [];
  const keyRing = KeyRing.fromSecrets(['k'.repeat(32)]);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-session-store-'));
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
      a: new SessionStore(backingA, { events: bus.member() }),
      b: new SessionStore(backingB, { events: bus.member() }),
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
    assert.equal(b.recordsInMemory, 3);

    await a.delete('sess:1');
    assert.equal(await b.get('sess:1'), undefined);
    assert.equal(await a.deleteBySubject('alice'), 1);
    assert.equal(await b.get('sess:2'), undefined);
    assert.deepEqual(await a.take('sess:3'), { n: 3 });
    assert.equal(await b.get('sess:3'), undefined);
    assert.equal(b.recordsInMemory, 0);

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
      assert.equal(b.recordsInMemory, 0);
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

  it('reads past the memory copy on demand (fresh: true)', async () => {
    const { a, b, backingA } = await processes('fresh');
    await a.set('sess:1', { v: 1 }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    // Written behind B's back (no notice): only a fresh read sees it.
    await backingA.set('sess:1', { record: { v: 2 }, expiresAt: inAnHour() }, inAnHour());
    assert.deepEqual(await b.get('sess:1'), { v: 1 });
    assert.deepEqual(await b.get('sess:1', { fresh: true }), { v: 2 });
    assert.deepEqual(await b.get('sess:1'), { v: 2 });
    // Ended behind B's back: a fresh read finds nothing, and the memory copy goes too.
    await backingA.delete('sess:1');
    assert.deepEqual(await b.get('sess:1'), { v: 2 });
    assert.equal(await b.get('sess:1', { fresh: true }), undefined);
    assert.equal(await b.get('sess:1'), undefined);
  });
});

describe('SessionStore over the memory backend', () => {
  /** Records leaving the unpacked segments are packed on the next turn of the event loop. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** Packs to JSON, leaving out `secret` as the openid-connect packing leaves out the ID token. */
  function leavingOutSecrets(): RecordPacking & { packed: number } {
    const packing = {
      packed: 0,
      pack(record: unknown): string {
        packing.packed += 1;
        const { secret, ...rest } = record as { secret?: string };
        return JSON.stringify(secret === undefined ? rest : { ...rest, secretInStore: true });
      },
      unpack: (text: string): unknown => JSON.parse(text),
    };
    return packing;
  }

  it('ends packed records in memory by subject, take and delete', async () => {
    const packing = leavingOutSecrets();
    const store = new SessionStore(new MemorySessionBackend(), { inUseMax: 1, packings: { 'sess:': packing } });
    await store.set('sess:a', { n: 1 }, inAnHour(), 'alice');
    await store.set('sess:b', { n: 2 }, inAnHour(), 'alice');
    await store.set('sess:c', { n: 3 }, inAnHour(), 'carol');
    await store.set('sess:d', { n: 4 }, inAnHour(), 'dave');
    await nextTurn();
    assert.equal(packing.packed, 3, 'all but the latest packed');
    assert.equal(store.recordsInMemory, 4);
    assert.equal(await store.deleteBySubject('alice'), 2, 'both of alice’s records, packed');
    assert.equal(store.peek('sess:a'), undefined);
    assert.equal(await store.get('sess:b'), undefined);
    assert.deepEqual(await store.take('sess:c'), { n: 3 });
    assert.equal(await store.take('sess:c'), undefined, 'once');
    await store.delete('sess:d');
    assert.equal(await store.get('sess:d'), undefined);
    assert.equal(await store.deleteBySubject('carol'), 0);
    assert.equal(store.recordsInMemory, 0);
  });

  it('keeps what packing leaves out in the backend, for a fresh read', async () => {
    const packing = leavingOutSecrets();
    const store = new SessionStore(new MemorySessionBackend(), { inUseMax: 1, packings: { 'sess:': packing } });
    await store.set('sess:a', { n: 1, secret: 's' }, inAnHour());
    await store.set('sess:b', { n: 2 }, inAnHour());
    await store.set('other:a', { n: 3, secret: 's' }, inAnHour());
    await nextTurn();
    assert.deepEqual(store.peek('sess:a'), { n: 1, secretInStore: true }, 'the memory copy says where the rest is');
    assert.deepEqual(await store.get('sess:a', { fresh: true }), { n: 1, secret: 's' });
    assert.deepEqual(store.peek('sess:a'), { n: 1, secret: 's' }, 'and the whole record is in memory again');
    assert.deepEqual(store.peek('other:a'), { n: 3, secret: 's' }, 'records of other kinds are kept as written');
  });

  it('replaces only a live record, and leases in this process', async () => {
    const store = new SessionStore(new MemorySessionBackend());
    assert.equal(await store.replace('sess:a', { n: 1 }, inAnHour()), false);
    assert.equal(store.peek('sess:a'), undefined, 'nothing written');
    await store.set('sess:a', { n: 1 }, inAnHour());
    assert.equal(await store.replace('sess:a', { n: 2 }, inAnHour()), true);
    assert.deepEqual(store.peek('sess:a'), { n: 2 });
    const lease = await store.lease('refresh:sess:a', 60_000);
    assert.ok(lease);
    assert.equal(await store.lease('refresh:sess:a', 60_000), undefined, 'one holder at a time');
    await lease.release();
    assert.ok(await store.lease('refresh:sess:a', 60_000));
    await store.close();
  });
});
