import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../src/sessions/memory-store.js';
import type { RecordPacking } from '../../src/sessions/store.js';

const inAMinute = () => Math.floor(Date.now() / 1000) + 60;

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

  it('keeps records in use unpacked and packs the others, with changes made in place', async () => {
    const packing = countingPacking();
    const store = new MemorySessionStore({ inUseMax: 2 });
    store.packWith('sess:', packing);
    const first = { n: 1, seen: 0 };
    await store.set('sess:1', first, inAMinute(), 'alice');
    await store.set('other:1', { n: 9 }, inAMinute());
    assert.equal(packing.packed, 0, 'writing a record does not pack it');
    assert.equal(await store.get('sess:1'), first, 'in use: the same object, no unpacking');
    first.seen = 5;
    await store.set('sess:2', { n: 2, seen: 0 }, inAMinute(), 'bob');
    await store.set('sess:3', { n: 3, seen: 0 }, inAMinute(), 'bob');
    assert.equal(packing.packed, 1, 'the least recently used record was packed');
    assert.equal(packing.unpacked, 0);
    const again = await store.get<{ n: number; seen: number }>('sess:1');
    assert.deepEqual(again, { n: 1, seen: 5 }, 'the change made in place survived packing');
    assert.notEqual(again, first);
    assert.equal(packing.unpacked, 1);
    assert.equal(packing.packed, 2, 'unpacking one made room by packing sess:2');
    assert.deepEqual(await store.get('other:1'), { n: 9 }, 'ids without a packing are kept as they are');
    assert.deepEqual(await store.get('sess:2'), { n: 2, seen: 0 });
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
