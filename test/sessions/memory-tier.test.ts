import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryTier, type RecordPacking } from '../../src/sessions/memory-tier.js';

const inAMinute = () => Math.floor(Date.now() / 1000) + 60;
/** Records leaving the unpacked segments are packed on the next turn of the event loop. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('MemoryTier', () => {
  it('keeps records until they expire or are dropped', () => {
    const memory = new MemoryTier();
    const record = { n: 1 };
    memory.put('a', record, inAMinute());
    memory.put('b', { n: 2 }, inAMinute());
    memory.put('old', { n: 3 }, Math.floor(Date.now() / 1000) - 1);
    assert.equal(memory.peek('a'), record, 'the object written, no copy');
    assert.equal(memory.peek('old'), undefined);
    memory.drop('b');
    assert.equal(memory.peek('b'), undefined);
    memory.drop('missing');
    assert.equal(memory.size, 1);
  });

  it('stays within its bound, dropping the least recently used', () => {
    const memory = new MemoryTier({ max: 2 });
    memory.put('a', 1, inAMinute());
    memory.put('b', 2, inAMinute());
    memory.peek('a');
    memory.put('c', 3, inAMinute());
    assert.equal(memory.size, 2);
    assert.equal(memory.peek('b'), undefined);
    assert.equal(memory.peek('a'), 1);
    assert.equal(memory.peek('c'), 3);
  });

  it('keeps records used again unpacked, packs the others, and keeps changes made in place', async () => {
    const packing = countingPacking();
    // Two records in use and (at most that many) two on probation.
    const memory = new MemoryTier({ inUseMax: 2, packings: { 'sess:': packing } });
    const first = { n: 1, seen: 0 };
    memory.put('sess:1', first, inAMinute());
    memory.put('other:1', { n: 9 }, inAMinute());
    assert.equal(memory.peek('sess:1'), first, 'just written: the same object, no unpacking');
    first.seen = 5;
    memory.put('sess:2', { n: 2, seen: 0 }, inAMinute());
    memory.put('sess:3', { n: 3, seen: 0 }, inAMinute());
    assert.equal(packing.packed, 0, 'writing records does not pack them');
    memory.put('sess:4', { n: 4, seen: 0 }, inAMinute());
    assert.equal(packing.packed, 0, 'not by the write that pushed sess:2 out');
    await nextTurn();
    assert.equal(packing.packed, 1, 'sess:2, written and never used, left probation packed; sess:1, used, stayed');
    assert.equal(memory.peek('sess:1'), first);

    assert.deepEqual(memory.peek('sess:2'), { n: 2, seen: 0 });
    assert.equal(packing.unpacked, 1);
    assert.deepEqual(memory.peek('sess:3'), { n: 3, seen: 0 }, 'used again from probation');
    assert.equal(packing.unpacked, 1, 'still unpacked');
    await nextTurn();
    assert.equal(packing.packed, 2, 'sess:2 and sess:3 are the two in use now: sess:1 was packed');
    const again = memory.peek<{ n: number; seen: number }>('sess:1');
    assert.deepEqual(again, { n: 1, seen: 5 }, 'the change made in place survived packing');
    assert.notEqual(again, first);
    assert.deepEqual(memory.peek('other:1'), { n: 9 }, 'ids without a packing are kept as they are');
  });

  it('packs a record left on probation once, from its last write', async () => {
    const packing = countingPacking();
    const memory = new MemoryTier({ inUseMax: 1_000, packings: { 'sess:': packing } });
    // Loaded, read fresh and written back by one request: three writes, nobody used it again.
    for (const n of [1, 2, 3]) memory.put('sess:once', { n }, inAMinute());
    memory.put('sess:busy', { n: 0 }, inAMinute());
    assert.deepEqual(memory.peek('sess:busy'), { n: 0 }, 'used again: in use');
    let others = 0;
    while (packing.packed === 0 && others < 1_000) {
      memory.put(`sess:other-${others++}`, { n: -1 }, inAMinute());
      await nextTurn();
    }
    assert.ok(others > 0 && others < 100, `packed after a short probation (${others} newer records)`);
    assert.equal(packing.packed, 1, 'packed once');
    assert.deepEqual(memory.peek('sess:once'), { n: 3 });
    assert.equal(packing.unpacked, 1);
    assert.deepEqual(memory.peek('sess:busy'), { n: 0 });
    assert.equal(packing.unpacked, 1, 'the record in use was never packed');
  });

  it('leaves a record used again before its packing turn unpacked, and packs none that are gone', async () => {
    const packing = countingPacking();
    const memory = new MemoryTier({ inUseMax: 1, packings: { 'sess:': packing } });
    memory.put('sess:a', { n: 1 }, inAMinute());
    memory.put('sess:b', { n: 2 }, inAMinute());
    memory.put('sess:c', { n: 3 }, inAMinute());
    memory.put('sess:d', { n: 4 }, inAMinute());
    // Probation holds one: a, b and c left it, in that order, within this turn.
    assert.deepEqual(memory.peek('sess:a'), { n: 1 }, 'used again before its turn');
    memory.drop('sess:b');
    memory.put('sess:c', { n: 30 }, inAMinute());
    await nextTurn();
    assert.equal(packing.packed, 1, 'only d, which the rewrite of c pushed out: a is in use, b is gone, c is on probation again');
    assert.equal(memory.peek('sess:a'), memory.peek('sess:a'), 'a: still the same unpacked object');
    assert.equal(packing.unpacked, 0);
    assert.deepEqual(memory.peek('sess:d'), { n: 4 });
    assert.equal(packing.unpacked, 1, 'd was the packed one');
  });

  it('keeps a record that cannot be packed whole, and goes on packing the others', async () => {
    const packing = countingPacking();
    const memory = new MemoryTier({
      inUseMax: 1,
      packings: {
        'sess:': {
          pack: (record) => {
            if ((record as { n: number }).n === 1) throw new Error('cannot pack this one');
            return packing.pack(record);
          },
          unpack: (text) => packing.unpack(text),
        },
      },
    });
    memory.put('sess:a', { n: 1 }, inAMinute());
    memory.put('sess:b', { n: 2 }, inAMinute());
    await nextTurn();
    memory.put('sess:c', { n: 3 }, inAMinute());
    await nextTurn();
    assert.equal(packing.packed, 1, 'b was packed after a failed to');
    assert.deepEqual(memory.peek('sess:a'), { n: 1 }, 'a is still there, whole');
    assert.deepEqual(memory.peek('sess:b'), { n: 2 });
    assert.equal(packing.unpacked, 1);
  });

  it('ends packed records by expiry and drop', async () => {
    const packing = countingPacking();
    const memory = new MemoryTier({ inUseMax: 1, packings: { 'sess:': packing } });
    memory.put('sess:a', { n: 1 }, inAMinute());
    memory.put('sess:b', { n: 2 }, inAMinute());
    const soon = Date.now() / 1000 + 0.05;
    memory.put('sess:old', { n: 3 }, soon);
    await nextTurn();
    assert.equal(packing.packed, 2, 'a and b were packed; old is in use');
    memory.drop('sess:a');
    assert.equal(memory.peek('sess:a'), undefined);
    assert.equal(packing.unpacked, 0, 'dropped without unpacking');
    while (Date.now() / 1000 <= soon) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(memory.peek('sess:old'), undefined, 'expired while packed');
    assert.equal(packing.unpacked, 0, 'expired without unpacking');
    assert.deepEqual(memory.peek('sess:b'), { n: 2 });
    assert.equal(memory.size, 1);
  });

  it('rewrites a record in place, packed or not, keeping its recency right', async () => {
    const packing = countingPacking();
    const memory = new MemoryTier({ max: 2, inUseMax: 1, packings: { 'sess:': packing } });
    memory.put('sess:a', { n: 1 }, inAMinute());
    memory.put('sess:b', { n: 2 }, inAMinute());
    await nextTurn();
    assert.equal(packing.packed, 1, 'sess:a was packed');
    memory.put('sess:a', { n: 3 }, inAMinute());
    assert.equal(packing.unpacked, 0, 'a rewrite does not unpack what it replaces');
    memory.put('sess:c', { n: 4 }, inAMinute());
    assert.equal(memory.peek('sess:b'), undefined, 'the rewrite made sess:a the more recent of the two');
    assert.deepEqual(memory.peek('sess:a'), { n: 3 });
    memory.put('sess:a', { n: 5 }, inAMinute());
    assert.deepEqual(memory.peek('sess:a'), { n: 5 });
    assert.equal(memory.size, 2);
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
