import type { GatewayRequest, PluginResponse } from '../../plugin.js';
import { errorPage } from '../../../web/error-page.js';

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

/**
 * A refusal in the shape the client understands: `{message, error_code}` (Kong's
 * `message`, Gatehouse's code) or Gatehouse's error page. Messages never contain tokens.
 */
export function errorResponse(
  request: GatewayRequest,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string | string[]> = {},
): PluginResponse {
  if (isApiClient(request)) {
    return { status, headers: { 'cache-control': 'no-store', ...headers }, body: { message, error_code: code } };
  }
  const title = status === 401 ? 'Sign-in required' : status === 403 ? 'Access denied' : 'Error';
  return {
    status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: errorPage({ heading: title, message, code }),
  };
}
