import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import {
  OKTA_API_ERROR,
  OKTA_FORBIDDEN,
  OKTA_INVALID_TOKEN,
  OKTA_NOT_FOUND,
  OKTA_PAGING_LIMIT,
  OKTA_RATE_LIMITED,
  OKTA_UNAVAILABLE,
} from './error-codes.js';

/**
 * Management API failures as Gatehouse codes. Callers branch on `code`; the Okta fields
 * (`oktaErrorCode`, `oktaErrorSummary`, `oktaErrorId`) are kept for logs and support
 * tickets — Okta support asks for the `errorId`.
 */
export type OktaApiErrorCode =
  | typeof OKTA_INVALID_TOKEN
  | typeof OKTA_FORBIDDEN
  | typeof OKTA_NOT_FOUND
  | typeof OKTA_RATE_LIMITED
  | typeof OKTA_UNAVAILABLE
  | typeof OKTA_API_ERROR
  | typeof OKTA_PAGING_LIMIT;

export interface OktaApiErrorDetails {
  /** HTTP status of Okta's answer, when there was one. */
  httpStatus?: number;
  oktaErrorCode?: string;
  oktaErrorSummary?: string;
  oktaErrorId?: string;
  errorCauses?: string[];
  /** When a rate-limited call may be tried again. */
  retryAt?: Date;
  cause?: unknown;
}

const STATUS: Record<OktaApiErrorCode, number> = {
  // The stored token is what needs fixing: a client-side problem of the settings.
  [OKTA_INVALID_TOKEN]: 400,
  [OKTA_FORBIDDEN]: 400,
  [OKTA_NOT_FOUND]: 404,
  [OKTA_RATE_LIMITED]: 503,
  [OKTA_UNAVAILABLE]: 502,
  [OKTA_API_ERROR]: 502,
  [OKTA_PAGING_LIMIT]: 502,
};

export class OktaApiError extends GatehouseError {
  declare readonly code: OktaApiErrorCode;
  readonly httpStatus: number | undefined;
  readonly oktaErrorCode: string | undefined;
  readonly oktaErrorSummary: string | undefined;
  readonly oktaErrorId: string | undefined;
  readonly errorCauses: string[];
  readonly retryAt: Date | undefined;

  constructor(code: OktaApiErrorCode, message: string, details: OktaApiErrorDetails = {}) {
    const field = code === OKTA_INVALID_TOKEN || code === OKTA_FORBIDDEN ? 'api_token' : undefined;
    super(code, message, {
      status: STATUS[code],
      ...(field ? { field } : {}),
      ...(details.cause === undefined ? {} : { cause: details.cause }),
    });
    this.name = 'OktaApiError';
    this.httpStatus = details.httpStatus;
    this.oktaErrorCode = details.oktaErrorCode;
    this.oktaErrorSummary = details.oktaErrorSummary;
    this.oktaErrorId = details.oktaErrorId;
    this.errorCauses = details.errorCauses ?? [];
    this.retryAt = details.retryAt;
  }
}

/** Okta's error body: `{errorCode, errorSummary, errorLink, errorId, errorCauses:[{errorSummary}]}`. */
const oktaErrorBodySchema = z.object({
  errorCode: z.string().min(1),
  errorSummary: z.string().optional().catch(undefined),
  errorId: z.string().optional().catch(undefined),
  errorCauses: z
    .array(z.object({ errorSummary: z.string() }).partial())
    .optional()
    .catch(undefined),
});

export type OktaErrorBody = z.infer<typeof oktaErrorBodySchema>;

/** Okta's error body from a parsed JSON answer, or undefined when it is not one. */
export function parseOktaErrorBody(body: unknown): OktaErrorBody | undefined {
  const parsed = oktaErrorBodySchema.safeParse(body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * The error for a non-2xx Management API answer. Branches on Okta's `errorCode` only
 * (summaries are prose that Okta rewords); the HTTP status decides only when the body is
 * not Okta's, e.g. an answer from a proxy in front of Okta.
 */
export function oktaApiErrorFromAnswer(
  answer: { status: number; body: unknown; orgUrl: string; what: string; retryAt?: Date },
): OktaApiError {
  const okta = parseOktaErrorBody(answer.body);
  const causes = (okta?.errorCauses ?? []).map((cause) => cause.errorSummary).filter((summary): summary is string => !!summary);
  const details: OktaApiErrorDetails = {
    httpStatus: answer.status,
    ...(okta ? { oktaErrorCode: okta.errorCode } : {}),
    ...(okta?.errorSummary ? { oktaErrorSummary: okta.errorSummary } : {}),
    ...(okta?.errorId ? { oktaErrorId: okta.errorId } : {}),
    errorCauses: causes,
    ...(answer.retryAt ? { retryAt: answer.retryAt } : {}),
  };
  const said = okta
    ? `${okta.errorCode}${okta.errorSummary ? `: ${okta.errorSummary}` : ''}${causes.length ? ` (${causes.join('; ')})` : ''}`
    : `HTTP ${answer.status}`;

  let code = okta ? codeForOktaError(okta.errorCode) : codeForStatus(answer.status);
  // An error code Gatehouse does not know, on a 5xx: still Okta failing, not the request.
  if (code === OKTA_API_ERROR && answer.status >= 500) code = OKTA_UNAVAILABLE;
  switch (code) {
    case OKTA_INVALID_TOKEN:
      return new OktaApiError(
        code,
        `Okta refused the API token (${said}). Create a new token in the Okta Admin Console (Security > API > Tokens) and save it in the identity settings; Okta revokes tokens that go unused for 30 days and the tokens of deactivated admins.`,
        details,
      );
    case OKTA_FORBIDDEN:
      return new OktaApiError(
        code,
        `Okta accepted the API token but refused ${answer.what} (${said}). A token has the rights of the admin who created it: create it as an admin who can read users and groups (e.g. Read-Only Administrator).`,
        details,
      );
    case OKTA_NOT_FOUND:
      return new OktaApiError(code, `Okta found nothing for ${answer.what} (${said}).`, details);
    case OKTA_RATE_LIMITED:
      return new OktaApiError(
        code,
        `Okta's rate limit for ${answer.what} is exhausted (${said})${answer.retryAt ? `; it resets at ${answer.retryAt.toISOString()}` : ''}. Try again later; if this keeps happening, make background group checks less frequent or give this API token a larger share of the org's rate limit in Okta.`,
        details,
      );
    case OKTA_UNAVAILABLE:
      return new OktaApiError(code, `Okta at ${answer.orgUrl} failed to answer ${answer.what} (${said}). This is usually temporary; check https://status.okta.com and try again.`, details);
    default:
      return new OktaApiError(
        OKTA_API_ERROR,
        okta
          ? `Okta refused ${answer.what} (${said}).`
          : `${answer.orgUrl} answered ${answer.what} with HTTP ${answer.status} and no Okta error: check that the Okta domain is your org's domain (e.g. dev-123.okta.com).`,
        details,
      );
  }
}

function codeForOktaError(errorCode: string): OktaApiErrorCode {
  switch (errorCode) {
    case 'E0000011':
      return OKTA_INVALID_TOKEN;
    case 'E0000006':
      return OKTA_FORBIDDEN;
    case 'E0000007':
      return OKTA_NOT_FOUND;
    case 'E0000047':
      return OKTA_RATE_LIMITED;
    case 'E0000009': // Internal Server Error
    case 'E0000010': // Service is in read only mode
      return OKTA_UNAVAILABLE;
    default:
      return OKTA_API_ERROR;
  }
}

function codeForStatus(status: number): OktaApiErrorCode {
  if (status === 401) return OKTA_INVALID_TOKEN;
  if (status === 429) return OKTA_RATE_LIMITED;
  if (status >= 500) return OKTA_UNAVAILABLE;
  return OKTA_API_ERROR;
}

/**
 * A one-line reason for a failed request that never reached an HTTP answer: the
 * system error code buried in `fetch`'s cause chain, or the timeout.
 */
export function describeNetworkError(error: unknown, timeoutMs?: number): string {
  const chain: unknown[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 6; depth += 1) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  for (const link of chain) {
    const name = (link as { name?: unknown }).name;
    if (name === 'TimeoutError') return timeoutMs === undefined ? 'no answer in time' : `no answer within ${formatSeconds(timeoutMs)}`;
  }
  for (const link of chain) {
    const code = (link as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const reason = SYSTEM_ERRORS[code];
    if (reason) return `${reason} (${code})`;
    if (code.startsWith('ERR_TLS') || code.includes('CERT')) return `the TLS certificate was not accepted (${code})`;
    if (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR')) return code;
  }
  // undici refuses the fetch spec's blocked ports (1, 25, 6000, ...) before connecting.
  if (chain.some((link) => link instanceof Error && link.message === 'bad port')) return 'the port is one that fetch refuses to connect to (a blocked port)';
  const last = chain[chain.length - 1];
  return last instanceof Error ? last.message : String(last);
}

const SYSTEM_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed unexpectedly',
};

function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
