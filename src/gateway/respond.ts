import type { ServerResponse } from 'node:http';
import type { PluginResponse } from './plugin.js';
import { errorPage } from '../web/error-page.js';
import {
  PROXY_BAD_REQUEST,
  PROXY_HTTPS_REQUIRED,
  PROXY_INTERNAL,
  PROXY_NO_ROUTE,
  PROXY_NO_SERVICE,
  PROXY_PLUGIN_FAILED,
  PROXY_PLUGIN_UNAVAILABLE,
  PROXY_UPSTREAM_INVALID,
  PROXY_UPSTREAM_TIMEOUT,
  PROXY_UPSTREAM_UNAVAILABLE,
} from './error-codes.js';

/**
 * Responses the gateway writes itself: its errors (Kong's messages plus a stable code
 * of ./error-codes.ts, JSON for programs and a small HTML page for browsers) and the
 * responses plugins return instead of proxying.
 */

export interface ProxyErrorSpec {
  status: number;
  code: string;
  message: string;
}

function spec(status: number, code: string, message: string): ProxyErrorSpec {
  return { status, code, message };
}

/** The gateway's own error answers. Messages are Kong's where Kong has one. */
export const ProxyErrors = {
  badRequest: spec(400, PROXY_BAD_REQUEST, 'Bad request'),
  noRoute: spec(404, PROXY_NO_ROUTE, 'no Route matched with those values'),
  httpsRequired: spec(426, PROXY_HTTPS_REQUIRED, 'Please use HTTPS protocol'),
  pluginFailed: spec(500, PROXY_PLUGIN_FAILED, 'An unexpected error occurred'),
  pluginUnavailable: spec(500, PROXY_PLUGIN_UNAVAILABLE, 'An unexpected error occurred'),
  internal: spec(500, PROXY_INTERNAL, 'An unexpected error occurred'),
  upstreamUnavailable: spec(502, PROXY_UPSTREAM_UNAVAILABLE, 'An invalid response was received from the upstream server'),
  upstreamInvalid: spec(502, PROXY_UPSTREAM_INVALID, 'An invalid response was received from the upstream server'),
  noService: spec(503, PROXY_NO_SERVICE, 'no Service found with those values'),
  upstreamTimeout: spec(504, PROXY_UPSTREAM_TIMEOUT, 'The upstream server is timed out'),
} as const;

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  426: 'Upgrade Required',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

interface RenderedError {
  json: Buffer;
  html: Buffer;
}

// Error bodies are static: render each once, not per request.
const rendered = new WeakMap<ProxyErrorSpec, RenderedError>();

function render(error: ProxyErrorSpec): RenderedError {
  let bodies = rendered.get(error);
  if (!bodies) {
    const reason = REASONS[error.status] ?? 'Error';
    const html = errorPage({ title: `${error.status} ${reason}`, heading: reason, message: `${error.message}.`, code: error.code });
    bodies = {
      json: Buffer.from(JSON.stringify({ message: error.message, code: error.code })),
      html: Buffer.from(html),
    };
    rendered.set(error, bodies);
  }
  return bodies;
}

/** The quality a media range list gives `type/subtype`, using the most specific matching range. */
function quality(accept: string, type: string, subtype: string): number {
  let best = -1;
  let q = 0;
  for (const part of accept.split(',')) {
    const [range = '', ...params] = part.split(';');
    const [t = '', s = ''] = range.trim().toLowerCase().split('/');
    let specificity: number;
    if (t === type && s === subtype) specificity = 2;
    else if (t === type && s === '*') specificity = 1;
    else if (t === '*' && s === '*') specificity = 0;
    else continue;
    if (specificity <= best) continue;
    best = specificity;
    q = 1;
    for (const param of params) {
      const [key, value] = param.split('=');
      if (key?.trim() === 'q' && value !== undefined) q = Number(value.trim()) || 0;
    }
  }
  return q;
}

/** Whether the client prefers HTML over JSON (browsers do; fetch, curl and SDKs do not). */
export function prefersHtml(accept: string | undefined): boolean {
  // Fast path: most API clients never mention HTML.
  if (accept === undefined || !accept.includes('html')) return false;
  const html = quality(accept, 'text', 'html');
  return html > 0 && html > quality(accept, 'application', 'json');
}

/** Adds headers collected by plugins (`ctx.responseHeaders`) to a header object, keeping existing values. */
export function mergeHeaders(
  target: Record<string, string | string[] | number | undefined>,
  extra: ReadonlyMap<string, string[]> | null,
): void {
  if (extra === null) return;
  for (const [name, values] of extra) {
    // Upstream and gateway header objects use lower-case names; a plugin may not.
    const key = name.toLowerCase();
    const existing = target[key];
    if (existing === undefined) target[key] = values.length === 1 ? values[0] : values;
    else target[key] = ([] as Array<string | number>).concat(existing as string | string[] | number, values).map(String);
  }
}

/** Writes one of the gateway's errors, unless the response already started (then the connection is cut). */
export function sendError(
  res: ServerResponse,
  accept: string | undefined,
  error: ProxyErrorSpec,
  extraHeaders: ReadonlyMap<string, string[]> | null = null,
  headers: Record<string, string> | null = null,
): void {
  if (res.headersSent) {
    // Too late for a status: a truncated body must not look complete.
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const bodies = render(error);
  const html = prefersHtml(accept);
  const body = html ? bodies.html : bodies.json;
  const out: Record<string, string | string[] | number | undefined> = {
    'content-type': html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
    'content-length': body.length,
    ...headers,
  };
  mergeHeaders(out, extraHeaders);
  res.writeHead(error.status, out);
  res.end(body);
}

/** Writes a response a plugin returned from `access` (objects as JSON). */
export function sendPluginResponse(
  res: ServerResponse,
  response: PluginResponse,
  extraHeaders: ReadonlyMap<string, string[]> | null,
): void {
  const out: Record<string, string | string[] | number | undefined> = {};
  if (response.headers) for (const name of Object.keys(response.headers)) out[name.toLowerCase()] = response.headers[name];
  let body: Buffer | string | undefined;
  const given = response.body;
  if (given === undefined) {
    body = undefined;
  } else if (typeof given === 'string') {
    body = given;
    out['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (Buffer.isBuffer(given)) {
    body = given;
  } else {
    body = JSON.stringify(given);
    out['content-type'] ??= 'application/json; charset=utf-8';
  }
  if (body !== undefined) out['content-length'] = Buffer.byteLength(body);
  mergeHeaders(out, extraHeaders);
  res.writeHead(response.status, out);
  res.end(body);
}
