import {pino, type DestinationStream, type redactOptions} from 'pino';

/** How much the server says: each level includes the ones after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;
type Write = (message: string, fields?: LogFields) => void;

/**
 * What the server's components log through: one JSON object per line,
 * `{"level":"info","time":"<ISO 8601>",...fields,"msg":"..."}`, written by
 * pino. The message comes first at the call site, which reads better than
 * pino's `(fields, message)` when the fields run over a line.
 */
export interface Logger {
  readonly level: LogLevel;
  debug: Write;
  info: Write;
  warn: Write;
  error: Write;
  isEnabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Where the lines go: stdout by default, written synchronously, so a line logged before `process.exit` is not lost. */
  readonly destination?: DestinationStream;
  /** Fields masked in every line (pino's `redact`), such as the secrets of the logged configuration. */
  readonly redact?: redactOptions;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(level: LogLevel, {destination, redact}: LoggerOptions = {}): Logger {
  const logger = pino(
    {
      level,
      // No pid or hostname on every line; the level as its name; the time as ISO 8601.
      base: undefined,
      formatters: {level: (label) => ({level: label})},
      timestamp: pino.stdTimeFunctions.isoTime,
      redact,
    },
    // pino's own default writes asynchronously: on process.exit a line still
    // being written was cut into by the next, or came after it.
    destination ?? pino.destination({dest: 1, sync: true}),
  );
  const writer =
    (at: Exclude<LogLevel, 'silent'>): Write =>
    (message, fields) =>
      fields === undefined ? logger[at](message) : logger[at](fields, message);
  return {
    level,
    debug: writer('debug'),
    info: writer('info'),
    warn: writer('warn'),
    error: writer('error'),
    isEnabled: (at) => at !== 'silent' && logger.isLevelEnabled(at),
  };
}
