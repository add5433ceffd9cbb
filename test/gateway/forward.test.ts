import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import type { Dispatcher, Pool } from 'undici';
import { GatehouseError } from '../../src/errors.js';
import { ExchangeSignal, forward, type ForwardRequest } from '../../src/gateway/proxy.js';

function failure(code: string): Error {
  return Object.assign(new Error(code), { code });
}

/** A pool stand-in that fails the first calls with the given errors, then answers 200. */
function fakePool(errors: Error[], options: { consumeBody?: boolean } = {}) {
  const calls: Dispatcher.RequestOptions[] = [];
  const pool = {
    async request(opts: Dispatcher.RequestOptions) {
      calls.push(opts);
      if (options.consumeBody && opts.body) {
        for await (const _chunk of opts.body as unknown as AsyncIterable<Buffer>) break;
      }
      const error = errors[calls.length - 1];
      if (error) throw error;
      return { statusCode: 200, headers: {}, body: new PassThrough() };
    },
  };
  return { pool: pool as unknown as Pool, calls };
}

function requestFor(pool: Pool, fields: Partial<ForwardRequest> = {}): ForwardRequest {
  return {
    upstream: { key: 'k', origin: 'http://upstream.test', pool },
    method: 'GET',
    path: '/',
    headers: [],
    body: null,
    readTimeout: 1000,
    writeTimeout: 1000,
    retries: 5,
    signal: new ExchangeSignal(),
    ...fields,
  };
}

async function rejection(promise: Promise<unknown>): Promise<GatehouseError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof GatehouseError);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('forward retries', () => {
  it('retries connection failures and succeeds', async () => {
    const { pool, calls } = fakePool([failure('ECONNREFUSED'), failure('UND_ERR_CONNECT_TIMEOUT')]);
    const response = await forward(requestFor(pool));
    assert.equal(response.statusCode, 200);
    assert.equal(calls.length, 3);
  });

  it('gives up after `retries` further attempts with 502', async () => {
    const { pool, calls } = fakePool(Array.from({ length: 10 }, () => failure('ECONNREFUSED')));
    const error = await rejection(forward(requestFor(pool, { retries: 2 })));
    assert.equal(calls.length, 3);
    assert.equal(error.status, 502);
    assert.equal(error.code, 'GH-PROXY-UPSTREAM-UNAVAILABLE');
  });

  it('reports a connect timeout as 504 after the retries', async () => {
    const { pool, calls } = fakePool(Array.from({ length: 10 }, () => failure('UND_ERR_CONNECT_TIMEOUT')));
    const error = await rejection(forward(requestFor(pool, { retries: 1 })));
    assert.equal(calls.length, 2);
    assert.equal(error.status, 504);
  });

  it('does not retry once the request may have reached the upstream', async () => {
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT']) {
      const { pool, calls } = fakePool([failure(code)]);
      const error = await rejection(forward(requestFor(pool)));
      assert.equal(calls.length, 1, code);
      assert.equal(error.status, code === 'UND_ERR_HEADERS_TIMEOUT' ? 504 : 502, code);
    }
  });

  it('does not retry after part of the body was sent', async () => {
    const client = new PassThrough();
    client.write('some body');
    const { pool, calls } = fakePool([failure('ECONNREFUSED')], { consumeBody: true });
    const error = await rejection(forward(requestFor(pool, { method: 'POST', body: client as unknown as IncomingMessage })));
    assert.equal(calls.length, 1);
    assert.equal(error.code, 'GH-PROXY-UPSTREAM-UNAVAILABLE');
    assert.equal(client.destroyed, false, 'the client stream stays usable for the error response');
  });

  it('retries a request with a body when none of it was read', async () => {
    const client = new PassThrough();
    client.end('body');
    const { pool, calls } = fakePool([failure('ECONNREFUSED')]);
    const response = await forward(requestFor(pool, { method: 'POST', body: client as unknown as IncomingMessage }));
    assert.equal(response.statusCode, 200);
    assert.equal(calls.length, 2);
  });
});
