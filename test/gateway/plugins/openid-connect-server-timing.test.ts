import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { protectRoute, signInThroughGateway, startStack, type Stack } from '../../support/stack.js';

/**
 * The callback tells the gateway's share of a sign-in from the provider's in a W3C
 * Server-Timing header (`npm run bench` reads it for scenario 7).
 */
describe('openid-connect: Server-Timing on the callback', () => {
  let stack: Stack;

  before(async () => {
    stack = await startStack();
    await protectRoute(stack, { auth_methods: ['authorization_code', 'session'] });
  });
  after(() => stack.close());

  const metrics = (header: string | null) =>
    new Map(
      (header ?? '').split(',').map((entry) => {
        const [name, ...parameters] = entry.split(';').map((part) => part.trim());
        return [name, Number(parameters.find((parameter) => parameter.startsWith('dur='))?.slice(4))] as const;
      }),
    );

  it('gives the provider calls’ time and the gateway’s own, in milliseconds', async () => {
    const { callback } = await signInThroughGateway(stack);
    assert.equal(callback.status, 302);
    const timing = metrics(callback.headers.get('server-timing'));
    const idp = timing.get('idp');
    const gatehouse = timing.get('gatehouse');
    assert.ok(idp !== undefined && Number.isFinite(idp) && idp > 0, `idp duration in ${callback.headers.get('server-timing')}`);
    assert.ok(gatehouse !== undefined && Number.isFinite(gatehouse) && gatehouse >= 0, `gatehouse duration in ${callback.headers.get('server-timing')}`);
  });

  it('is on refused callbacks too, and only on callbacks', async () => {
    const refused = await fetch(`${stack.proxy}/api/callback?code=forged&state=forged`, { redirect: 'manual' });
    assert.equal(refused.status, 401);
    assert.equal(metrics(refused.headers.get('server-timing')).get('idp'), 0, 'no provider call for a callback without its cookie');

    const start = await fetch(`${stack.proxy}/api`, { redirect: 'manual' });
    assert.equal(start.status, 302);
    assert.equal(start.headers.get('server-timing'), null);
  });
});
