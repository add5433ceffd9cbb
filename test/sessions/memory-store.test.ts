import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySessionStore } from '../../src/sessions/memory-store.js';

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
});
