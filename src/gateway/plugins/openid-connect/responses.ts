import type { GatewayRequest, PluginResponse } from '../../plugin.js';
import { escapeHtml } from '../../../web/html.js';

/**
 * API clients get status codes and JSON; browsers get redirects and pages. A client
 * is an API client when it asks for JSON and not HTML, sends XHR's marker header, or
 * presents a bearer token.
 */
export function isApiClient(request: GatewayRequest): boolean {
  const accept = request.headers.accept ?? '';
  if (request.headers['x-requested-with']?.toString().toLowerCase() === 'xmlhttprequest') return true;
  if (/^\s*bearer\s/i.test(request.headers.authorization ?? '')) return true;
  return /application\/(?:[\w.+-]+\+)?json/i.test(accept) && !/text\/html/i.test(accept);
}

export function redirect(location: string, headers: Record<string, string | string[]> = {}): PluginResponse {
  return { status: 302, headers: { location, 'cache-control': 'no-store', ...headers } };
}

/** A 4xx answer in the shape the client understands; messages never contain tokens. */
export function errorResponse(
  request: GatewayRequest,
  status: number,
  message: string,
  headers: Record<string, string | string[]> = {},
): PluginResponse {
  if (isApiClient(request)) {
    return { status, headers: { 'cache-control': 'no-store', ...headers }, body: { message } };
  }
  const title = status === 401 ? 'Sign-in required' : status === 403 ? 'Access denied' : 'Error';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${escapeHtml(message)}</p></body></html>`;
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body,
  };
}
