import type { FastifyError, FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.js';
import { EntityError } from '../store/errors.js';
import { OKTA_ERROR_CODES } from '../okta/error-codes.js';
import { KONG_ENTITY_ERROR_CODES } from '../store/error-codes.js';
import {
  ADMIN_BAD_URL,
  ADMIN_BODY_TOO_LARGE,
  ADMIN_INTERNAL,
  ADMIN_INVALID_JSON,
  ADMIN_MEDIA_TYPE,
  ADMIN_NOT_FOUND,
  ADMIN_REQUEST,
  ADMIN_UNKNOWN_PATH,
} from './error-codes.js';

/**
 * Admin API errors that are about the HTTP request itself (body encoding, media type,
 * unknown paths), as opposed to the entity errors the store raises.
 */
export class AdminRequestError extends GatehouseError {
  constructor(code: string, message: string, status: number) {
    super(code, message, { status });
    this.name = 'AdminRequestError';
  }
}

/**
 * An Admin API refusal with extra body fields beyond `message` and `error_code`
 * (e.g. the `permission` a 403 names).
 */
export class AdminApiError extends GatehouseError {
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, status: number, extra: Record<string, unknown> = {}, field?: string) {
    super(code, message, { status, ...(field ? { field } : {}) });
    this.name = 'AdminApiError';
    this.extra = extra;
  }
}

export const NOT_FOUND_BODY = { message: 'Not found', error_code: ADMIN_NOT_FOUND } as const;

interface ErrorReply {
  status: number;
  body: Record<string, unknown> & { error_code: string };
}

/**
 * Maps any error to Kong's body shape plus a stable `error_code`. Messages of
 * unexpected errors stay in the log: clients get a generic line and the code, never a
 * stack trace or a driver message that could quote stored data.
 */
export function errorReply(error: unknown): ErrorReply {
  if (error instanceof EntityError) {
    const body: ErrorReply['body'] = {
      code: error.kongCode,
      name: error.kongName,
      message: error.message,
      ...(error.fields !== undefined ? { fields: error.fields } : {}),
      error_code: error.code,
    };
    // Kong's own errors keep Kong's exact body; Gatehouse's organization errors also name the field.
    if (error.field !== undefined && error.field !== '' && !KONG_ENTITY_ERROR_CODES.has(error.code)) body.field = error.field;
    return { status: error.status, body };
  }
  if (error instanceof GatehouseError) {
    if (error.status >= 500) {
      // Errors of Gatehouse's own about an upstream (Okta unreachable: 502/503) say so; anything else stays generic.
      if ((error.status === 502 || error.status === 503) && OKTA_ERROR_CODES.has(error.code)) {
        return { status: error.status, body: { message: error.message, error_code: error.code } };
      }
      return { status: error.status, body: { message: 'An unexpected error occurred', error_code: error.code } };
    }
    const body: ErrorReply['body'] = { message: error.message, error_code: error.code };
    if (error.field !== undefined) body.field = error.field;
    if (error instanceof AdminApiError) Object.assign(body, error.extra);
    return { status: error.status, body };
  }
  const fastifyError = error as Partial<FastifyError>;
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: {
          message: 'Unsupported Content-Type; send application/json or application/x-www-form-urlencoded (curl --data does the latter)',
          error_code: ADMIN_MEDIA_TYPE,
        },
      };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // The parser's own message can quote the body, which may hold a secret.
      return {
        status: 400,
        body: { message: 'Cannot parse JSON body: it is not valid JSON; check quotes, commas and braces', error_code: ADMIN_INVALID_JSON },
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, body: { message: 'Request body too large; configuration entities fit in far less', error_code: ADMIN_BODY_TOO_LARGE } };
    case 'FST_ERR_BAD_URL':
      return { status: 400, body: { message: "Bad URL: invalid percent-encoding in the path; write '%' as %25", error_code: ADMIN_BAD_URL } };
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, body: { message: 'Content-Length does not match the body sent', error_code: ADMIN_REQUEST } };
    default:
      break;
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, body: { message: fastifyError.message ?? 'Bad request', error_code: ADMIN_REQUEST } };
  }
  return { status: 500, body: { message: 'An unexpected error occurred', error_code: ADMIN_INTERNAL } };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error);
    if (status >= 500) request.log.error({ err: error }, 'admin request failed');
    else request.log.debug({ error_code: body.error_code }, 'admin request refused');
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((_request, reply) => reply.status(404).send({ message: 'Not found', error_code: ADMIN_UNKNOWN_PATH }));
}
