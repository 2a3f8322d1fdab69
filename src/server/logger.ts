/** How much the server says: each level includes the ones after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Record<string, unknown>;
type Write = (message: string, fields?: LogFields) => void;

/** Writes one JSON object per line, so logs can be read by people and by machines. */
export interface Logger {
  readonly level: LogLevel;
  debug: Write;
  info: Write;
  warn: Write;
  error: Write;
  isEnabled(level: LogLevel): boolean;
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const isEnabled = (at: LogLevel): boolean => LOG_LEVELS.indexOf(at) >= threshold && at !== 'silent';
  const writer =
    (at: LogLevel): Write =>
    (message, fields) => {
      if (!isEnabled(at)) return;
      write(`${JSON.stringify({time: new Date().toISOString(), level: at, msg: message, ...fields})}\n`);
    };
  return {
    level,
    debug: writer('debug'),
    info: writer('info'),
    warn: writer('warn'),
    error: writer('error'),
    isEnabled,
  };
}
