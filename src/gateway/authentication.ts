import type { ConsumerEntity } from './entities.js';
import type { RequestContext } from './plugin.js';

/** The headers Kong sets for an authenticated consumer; a client must never be able to set them itself. */
export const CONSUMER_HEADERS = [
  'x-consumer-id',
  'x-consumer-username',
  'x-consumer-custom-id',
  'x-credential-identifier',
  'x-anonymous-consumer',
] as const;

/**
 * Records who an authentication plugin admitted, as Kong's `kong.client.authenticate`
 * does, and sets the consumer headers for the upstream; headers that do not apply
 * are removed so a client cannot forge them.
 */
export function setAuthenticatedConsumer(
  ctx: RequestContext,
  consumer: ConsumerEntity | null,
  credential: string | null,
  anonymous: boolean,
): void {
  ctx.consumer = consumer;
  ctx.credential = credential;
  const headers = ctx.upstreamHeaders;
  headers.set('x-consumer-id', consumer?.id ?? null);
  headers.set('x-consumer-username', consumer?.username ?? null);
  headers.set('x-consumer-custom-id', consumer?.custom_id ?? null);
  headers.set('x-credential-identifier', credential);
  headers.set('x-anonymous-consumer', anonymous ? 'true' : null);
}
