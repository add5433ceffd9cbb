import type { FastifyInstance } from 'fastify';
import { stringifyCookie } from 'cookie';
import { ORGANIZATION_SESSION_COOKIE } from '../identity/organization-session.js';

/**
 * The console's way to the Admin API and to the proxy's sign-in endpoints: Fastify's
 * `inject` into the instances of this same process. No socket, no second HTTP
 * client, no URL to configure, and the request goes through exactly the code (and
 * the authentication and permission checks) a direct call would.
 *
 * Only the person's `gatehouse_session` cookie is passed on: never the console's own
 * cookies, never an `Authorization` header, so the console can act with the signed-in
 * person's rights and no more.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The header the Admin API takes as proof that a session write is not cross-site (src/admin/auth.ts). */
const ADMIN_CSRF_HEADER = 'x-gatehouse-csrf';

/** A Fastify instance reached in-process. */
export type InProcessServer = Pick<FastifyInstance, 'inject'>;

export interface Answer {
  status: number;
  /** The parsed JSON body; undefined for an empty or non-JSON body. */
  body: unknown;
  headers: Record<string, string | string[] | number | undefined>;
  /** The raw body, for relaying it unchanged. */
  payload: Buffer;
}

export interface CallOptions {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  url: string;
  /** The person's session cookie value, if any. */
  session?: string | undefined;
  /** The client's address: the proxy throttles failed sign-ins per address. */
  remoteAddress: string;
  /** A JSON body (serialized here) or raw bytes with their content type. */
  json?: unknown;
  raw?: { payload: Buffer; contentType: string | undefined };
}

export async function call(server: InProcessServer, options: CallOptions): Promise<Answer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.session) headers.cookie = stringifyCookie({ [ORGANIZATION_SESSION_COOKIE]: options.session });
  // The Admin API refuses session writes it cannot tell are same-origin. The console
  // only issues writes while handling a request that passed its CSRF check (the
  // preHandler hook in server.ts guards every state-changing console route), so it
  // vouches for them with the header the Admin API accepts as that proof.
  if (!SAFE_METHODS.has(options.method)) headers[ADMIN_CSRF_HEADER] = 'console';
  let payload: string | Buffer | undefined;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(options.json);
  } else if (options.raw && options.raw.payload.length > 0) {
    if (options.raw.contentType) headers['content-type'] = options.raw.contentType;
    payload = options.raw.payload;
  }
  const response = await server.inject({
    method: options.method,
    url: options.url,
    headers,
    remoteAddress: options.remoteAddress,
    ...(payload === undefined ? {} : { payload }),
  });
  const raw = response.rawPayload;
  let body: unknown;
  if (raw.length > 0 && /json/.test(String(response.headers['content-type'] ?? ''))) {
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
  }
  return { status: response.statusCode, body, headers: response.headers, payload: raw };
}

/** The `Set-Cookie` headers of an answer, as a list. */
export function setCookiesOf(answer: Answer): string[] {
  const value = answer.headers['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
}

/** The shape of every Admin API and sign-in error: a message, a stable code, and where it applies. */
export interface ErrorBody {
  message?: string;
  error_code?: string;
  /** One field the error concerns (Gatehouse's organization errors). */
  field?: string;
  /** Kong's schema violations: field → message, nested for nested fields (`config.client_id`). */
  fields?: Record<string, unknown>;
  [key: string]: unknown;
}

export function errorBodyOf(answer: Answer): ErrorBody {
  return answer.body !== null && typeof answer.body === 'object' ? (answer.body as ErrorBody) : {};
}

/** An Admin API call a page needed failed: the page runner shows it in place of the page's content. */
export class AdminCallError extends Error {
  readonly status: number;
  readonly body: ErrorBody;

  constructor(status: number, body: ErrorBody) {
    super(body.message ?? `the Admin API answered ${status}`);
    this.name = 'AdminCallError';
    this.status = status;
    this.body = body;
  }
}

/** The Admin API as the signed-in person: pages read through it. */
export class AdminClient {
  readonly #server: InProcessServer;
  readonly #session: string | undefined;
  readonly #remoteAddress: string;

  constructor(server: InProcessServer, session: string | undefined, remoteAddress: string) {
    this.#server = server;
    this.#session = session;
    this.#remoteAddress = remoteAddress;
  }

  /** The session cookie value it acts with. */
  get session(): string | undefined {
    return this.#session;
  }

  /** Any call; the answer whatever its status. */
  call(method: CallOptions['method'], url: string, json?: unknown): Promise<Answer> {
    return call(this.#server, { method, url, session: this.#session, remoteAddress: this.#remoteAddress, ...(json === undefined ? {} : { json }) });
  }

  /** A read that must succeed: its JSON body, or an `AdminCallError`. */
  async get<T>(url: string): Promise<T> {
    const answer = await this.call('GET', url);
    if (answer.status < 200 || answer.status >= 300) throw new AdminCallError(answer.status, errorBodyOf(answer));
    return answer.body as T;
  }
}
