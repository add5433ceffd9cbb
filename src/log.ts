import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths pino must never write in clear. Tokens and secrets reach log calls through
 * request headers, plugin configurations and provider answers; redaction is the net
 * under the rule that code does not log them in the first place.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  '*.client_secret',
  '*.config.client_secret',
  '*.access_token',
  '*.id_token',
  '*.refresh_token',
  '*.password',
  '*.keys',
  'client_secret',
  'access_token',
  'id_token',
  'refresh_token',
  'password',
];

export function createLogger(
  options: { level?: string; name?: string; destination?: NodeJS.WritableStream; file?: string | undefined } = {},
): Logger {
  const config: LoggerOptions = {
    level: options.level ?? process.env.GATEHOUSE_LOG_LEVEL ?? 'info',
    base: options.name ? { name: options.name } : null,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
  };
  if (options.destination) return pino(config, options.destination as pino.DestinationStream);
  // Appended to, so that the primary and its workers can share one file.
  if (options.file) return pino(config, pino.destination({ dest: options.file, append: true, mkdir: true, sync: false }));
  return pino(config);
}

/**
 * Re-opens the log file at its path (after logrotate moved it away), as nginx does on a
 * signal. Does nothing for standard output and other streams.
 */
export function reopenLogFile(log: Logger): void {
  const stream = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { reopen?: () => void; file?: unknown } | undefined;
  if (typeof stream?.reopen === 'function' && typeof stream.file === 'string') stream.reopen();
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
