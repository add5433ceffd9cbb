import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../src/sessions/memory-store.js';
import type { RecordPacking } from '../../src/sessions/store.js';

const inAMinute = () => Math.floor(Date.now() / 1000) + 60;
/** Records leaving the unpacked segments are packed on the next turn of the event loop. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('MemorySessionStore', () => {
  it('stores, expires, takes once, and deletes by subject', async () => {
    const store = new MemorySessionStore();
    await store.set('a', { n: 1 }, inAMinute(), 'alice');
    await store.set('b', { n: 2 }, inAMinute(), 'alice');
    await store.set('c', { n: 3 }, inAMinute(), 'bob');
    await store.set('old', { n: 4 }, Math.floor(Date.now() / 1000) - 1);
    assert.deepEqual(await store.get('a'), { n: 1 });
    assert.equal(await store.get('old'), undefined);
    assert.deepEqual(await store.take('c'), { n: 3 });
    assert.equal(await store.take('c'), undefined);
    assert.equal(await store.deleteBySubject('alice'), 2);
    assert.equal(await store.get('a'), undefined);
    assert.equal(await store.get('b'), undefined);
  });

  it('stays within its bound, dropping the least recently used', async () => {
    const store = new MemorySessionStore({ max: 2 });
    await store.set('a', 1, inAMinute(), 'x');
    await store.set('b', 2, inAMinute(), 'x');
    await store.get('a');
    await store.set('c', 3, inAMinute(), 'x');
    assert.equal(store.size, 2);
    assert.equal(await store.get('b'), undefined);
    assert.equal(await store.get('a'), 1);
    assert.equal(await store.deleteBySubject('x'), 2);
  });

  it('keeps records used again unpacked, packs the others, and keeps changes made in place', async () => {
    const packing = countingPacking();
    // Two records in use and (at most that many) two on probation.
    const store = new MemorySessionStore({ inUseMax: 2 });
    store.packWith('sess:', packing);
    const first = { n: 1, seen: 0 };
    await store.set('sess:1', first, inAMinute(), 'alice');
    await store.set('other:1', { n: 9 }, inAMinute());
    assert.equal(await store.get('sess:1'), first, 'just written: the same object, no unpacking');
    first.seen = 5;
    await store.set('sess:2', { n: 2, seen: 0 }, inAMinute(), 'bob');
    await store.set('sess:3', { n: 3, seen: 0 }, inAMinute(), 'bob');
    assert.equal(packing.packed, 0, 'writing records does not pack them');
    await store.set('sess:4', { n: 4, seen: 0 }, inAMinute(), 'bob');
    assert.equal(packing.packed, 0, 'not by the write that pushed sess:2 out');
    await nextTurn();
    assert.equal(packing.packed, 1, 'sess:2, written and never used, left probation packed; sess:1, used, stayed');
    assert.equal(await store.get('sess:1'), first);

    assert.deepEqual(await store.get('sess:2'), { n: 2, seen: 0 });
    assert.equal(packing.unpacked, 1);
    assert.deepEqual(await store.get('sess:3'), { n: 3, seen: 0 }, 'used again from probation');
    assert.equal(packing.unpacked, 1, 'still unpacked');
    await nextTurn();
    assert.equal(packing.packed, 2, 'sess:2 and sess:3 are the two in use now: sess:1 was packed');
    const again = await store.get<{ n: number; seen: number }>('sess:1');
    assert.deepEqual(again, { n: 1, seen: 5 }, 'the change made in place survived packing');
    assert.notEqual(again, first);
    assert.deepEqual(await store.get('other:1'), { n: 9 }, 'ids without a packing are kept as they are');
  });

  it('packs a record left on probation once, from its last write', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ inUseMax: 1_000 });
    store.packWith('sess:', packing);
    // Loaded, read fresh and written back by one request: three writes, nobody used it again.
    for (const n of [1, 2, 3]) store.put('sess:once', { n }, inAMinute(), 'alice');
    await store.set('sess:busy', { n: 0 }, inAMinute(), 'bob');
    assert.deepEqual(await store.get('sess:busy'), { n: 0 }, 'used again: in use');
    let others = 0;
    while (packing.packed === 0 && others < 1_000) {
      store.put(`sess:other-${others++}`, { n: -1 }, inAMinute());
      await nextTurn();
    }
    assert.ok(others > 0 && others < 100, `packed after a short probation (${others} newer records)`);
    assert.equal(packing.packed, 1, 'packed once');
    assert.deepEqual(await store.get('sess:once'), { n: 3 });
    assert.equal(packing.unpacked, 1);
    assert.deepEqual(await store.get('sess:busy'), { n: 0 });
    assert.equal(packing.unpacked, 1, 'the record in use was never packed');
  });

  it('leaves a record used again before its packing turn unpacked, and packs none that are gone', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ inUseMax: 1 });
    store.packWith('sess:', packing);
    store.put('sess:a', { n: 1 }, inAMinute());
    store.put('sess:b', { n: 2 }, inAMinute());
    store.put('sess:c', { n: 3 }, inAMinute());
    store.put('sess:d', { n: 4 }, inAMinute());
    // Probation holds one: a, b and c left it, in that order, within this turn.
    assert.deepEqual(store.peek('sess:a'), { n: 1 }, 'used again before its turn');
    await store.delete('sess:b');
    store.put('sess:c', { n: 30 }, inAMinute());
    await nextTurn();
    assert.equal(packing.packed, 1, 'only d, which the rewrite of c pushed out: a is in use, b is gone, c is on probation again');
    assert.equal(store.peek('sess:a'), store.peek('sess:a'), 'a: still the same unpacked object');
    assert.equal(packing.unpacked, 0);
    assert.deepEqual(store.peek('sess:d'), { n: 4 });
    assert.equal(packing.unpacked, 1, 'd was the packed one');
  });

  it('keeps a record that cannot be packed whole, and goes on packing the others', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ inUseMax: 1 });
    store.packWith('sess:', {
      pack: (record, options) => {
        if ((record as { n: number }).n === 1) throw new Error('cannot pack this one');
        return packing.pack(record, options);
      },
      unpack: (text) => packing.unpack(text),
    });
    store.put('sess:a', { n: 1 }, inAMinute());
    store.put('sess:b', { n: 2 }, inAMinute());
    await nextTurn();
    store.put('sess:c', { n: 3 }, inAMinute());
    await nextTurn();
    assert.equal(packing.packed, 1, 'b was packed after a failed to');
    assert.deepEqual(store.peek('sess:a'), { n: 1 }, 'a is still there, whole');
    assert.deepEqual(store.peek('sess:b'), { n: 2 });
    assert.equal(packing.unpacked, 1);
  });

  it('ends packed records by expiry, subject, take and delete', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ inUseMax: 1 });
    store.packWith('sess:', packing);
    await store.set('sess:a', { n: 1 }, inAMinute(), 'alice');
    await store.set('sess:b', { n: 2 }, inAMinute(), 'alice');
    await store.set('sess:c', { n: 3 }, inAMinute(), 'carol');
    await store.set('sess:d', { n: 4 }, inAMinute(), 'dave');
    await store.set('sess:old', { n: 5 }, Math.floor(Date.now() / 1000) - 1, 'eve');
    assert.equal(await store.get('sess:old'), undefined);
    assert.equal(await store.deleteBySubject('alice'), 2, 'both of alice’s records, one packed');
    assert.equal(await store.get('sess:a'), undefined);
    assert.equal(await store.get('sess:b'), undefined);
    assert.deepEqual(await store.take('sess:c'), { n: 3 });
    assert.equal(await store.get('sess:c'), undefined);
    await store.delete('sess:d');
    assert.equal(await store.get('sess:d'), undefined);
    assert.equal(await store.deleteBySubject('carol'), 0);
    assert.equal(store.size, 0);
  });

  it('indexes subjects with one record and with several', async () => {
    const store = new MemorySessionStore({ max: 3 });
    await store.set('a', 1, inAMinute(), 'x');
    await store.set('b', 2, inAMinute(), 'x');
    await store.delete('a');
    await store.set('c', 3, inAMinute(), 'y');
    await store.set('c', 4, inAMinute(), 'x');
    assert.equal(await store.deleteBySubject('y'), 0, 'rewriting c for x took it off y');
    assert.equal(await store.deleteBySubject('x'), 2);
    assert.equal(store.size, 0);
  });

  it('keeps no subject index in front of a store that removes by subject itself', async () => {
    const store = new MemorySessionStore({ backed: true });
    await store.set('a', { n: 1 }, inAMinute(), 'alice');
    assert.deepEqual(await store.get('a'), { n: 1 });
    await assert.rejects(store.deleteBySubject('alice'), /no subject index/);
    assert.deepEqual(await store.get('a'), { n: 1 }, 'nothing was removed');
  });

  it('rewrites a record in place, packed or not, keeping its recency and subject right', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ max: 2, inUseMax: 1 });
    store.packWith('sess:', packing);
    await store.set('sess:a', { n: 1 }, inAMinute(), 'alice');
    await store.set('sess:b', { n: 2 }, inAMinute(), 'bob');
    await nextTurn();
    assert.equal(packing.packed, 1, 'sess:a was packed');
    await store.set('sess:a', { n: 3 }, inAMinute(), 'alice');
    assert.equal(packing.unpacked, 0, 'a rewrite does not unpack what it replaces');
    await store.set('sess:c', { n: 4 }, inAMinute(), 'carol');
    assert.equal(await store.get('sess:b'), undefined, 'the rewrite made sess:a the more recent of the two');
    assert.deepEqual(await store.get('sess:a'), { n: 3 });
    await store.set('sess:a', { n: 5 }, inAMinute(), 'alice');
    assert.equal(await store.deleteBySubject('alice'), 1, 'rewritten twice, indexed once');
    await store.set('sess:c', { n: 6 }, inAMinute(), 'dave');
    assert.equal(await store.deleteBySubject('carol'), 0, 'a rewrite for another subject moves the index');
    assert.equal(await store.deleteBySubject('dave'), 1);
    assert.equal(store.size, 0);
  });
});

function countingPacking(): RecordPacking & { packed: number; unpacked: number } {
  const packing = {
    packed: 0,
    unpacked: 0,
    pack(record: unknown): string {
      packing.packed += 1;
      return JSON.stringify(record);
    },
    unpack(text: string): unknown {
      packing.unpacked += 1;
      return JSON.parse(text);
    },
  };
  return packing;
}
