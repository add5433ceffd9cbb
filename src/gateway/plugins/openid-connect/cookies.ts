import { parseCookie, stringifySetCookie } from 'cookie';
import type { GatewayRequest } from '../../plugin.js';
import { isLoopbackHost } from '../../../oidc/loopback.js';

export interface CookieSettings {
  path: string;
  domain?: string | undefined;
  secure?: boolean | undefined;
  httpOnly: boolean;
  sameSite: 'Strict' | 'Lax' | 'None' | 'Default';
}

export function readCookie(request: GatewayRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  return parseCookie(header)[name];
}

/**
 * Secure unless the client talks plain http to a loopback address (the demo and
 * tests); an explicit setting wins.
 */
export function shouldBeSecure(request: GatewayRequest, configured: boolean | undefined): boolean {
  if (configured !== undefined) return configured;
  if (request.scheme === 'https') return true;
  const hostname = request.host.replace(/:\d+$/, '');
  return !isLoopbackHost(hostname);
}

export function setCookieHeader(
  request: GatewayRequest,
  name: string,
  value: string,
  settings: CookieSettings,
  maxAgeSeconds: number | undefined,
): string {
  return stringifySetCookie(name, value, {
    path: settings.path,
    ...(settings.domain ? { domain: settings.domain } : {}),
    httpOnly: settings.httpOnly,
    secure: shouldBeSecure(request, settings.secure),
    ...(settings.sameSite === 'Default' ? {} : { sameSite: settings.sameSite.toLowerCase() as 'strict' | 'lax' | 'none' }),
    ...(maxAgeSeconds === undefined ? {} : { maxAge: Math.max(0, Math.floor(maxAgeSeconds)) }),
  });
}

export function clearCookieHeader(request: GatewayRequest, name: string, settings: CookieSettings): string {
  return setCookieHeader(request, name, '', settings, 0);
}
