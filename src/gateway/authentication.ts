import { isAcceptableName } from '../schema/name.js';
import type { ConsumerEntity } from '../model/gateway.js';
import { clearUpstreamHeader, type RequestContext } from './plugin.js';

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
  setOrClear(ctx, 'x-consumer-id', consumer?.id);
  setOrClear(ctx, 'x-consumer-username', checkedName(ctx, consumer, 'username'));
  setOrClear(ctx, 'x-consumer-custom-id', checkedName(ctx, consumer, 'custom_id'));
  setOrClear(ctx, 'x-credential-identifier', credential);
  setOrClear(ctx, 'x-anonymous-consumer', anonymous ? 'true' : null);
}

/**
 * The consumer's name for a header, when it follows the name rule (src/schema/name.ts).
 * The Admin API refuses names that do not; one stored before that rule (CR LF in a
 * `custom_id`) would make every request of the consumer an invalid upstream request,
 * so it is left out, and the log says which consumer to fix.
 */
function checkedName(ctx: RequestContext, consumer: ConsumerEntity | null, field: 'username' | 'custom_id'): string | null {
  const value = consumer?.[field] ?? null;
  if (value === null || isAcceptableName(value)) return value;
  ctx.log.warn({ consumer: consumer!.id, field }, `the consumer's ${field} breaks the name rules (control characters or too long) and is not sent upstream; correct it with PATCH /consumers/{id}`);
  return null;
}

function setOrClear(ctx: RequestContext, name: string, value: string | null | undefined): void {
  if (value === null || value === undefined) clearUpstreamHeader(ctx, name);
  else ctx.upstreamHeaders.set(name, value);
}
