/**
 * Errors that cross a module boundary carry a stable code (`GH-...`) so that callers,
 * tests and people reading logs can branch on it instead of on message text.
 */
export class GatehouseError extends Error {
  readonly code: string;
  readonly status: number;
  /** The input field the error concerns, dotted (`config.client_id`), when there is one. */
  readonly field: string | undefined;

  constructor(code: string, message: string, options: { status?: number; field?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatehouseError';
    this.code = code;
    this.status = options.status ?? 500;
    this.field = options.field;
  }
}
