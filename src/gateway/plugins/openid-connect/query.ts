import type { GatewayRequest } from '../../plugin.js';

/** Whether the request has a query string: asking spares parsing one that is not there. */
export function hasQuery(request: GatewayRequest): boolean {
  return request.url.includes('?');
}
