import { Injectable, LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger as Pino } from 'pino';
import { AppConfig } from '../config/app-config';
import { requestScope } from '../common/request-context';

/** Keys pino blanks out wherever a caller might pass them in a log object by mistake. */
const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  'token',
  '*.token',
  'password',
  '*.password',
  'ADMIN_TOKEN',
  '*.ADMIN_TOKEN',
  'DATABASE_URL',
  '*.DATABASE_URL',
];

/** One JSON object per line: level label, ISO time, the request id of the request being served. */
export function createPino(level: string, destination?: DestinationStream): Pino {
  return pino(
    {
      level,
      base: { service: 'diamond-pricing' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin: () => {
        const ctx = requestScope.getStore();
        return ctx ? { requestId: ctx.requestId } : {};
      },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}

/** Nest's LoggerService on pino, installed with app.useLogger() in main.ts; level from LOG_LEVEL. */
@Injectable()
export class PinoLoggerService implements LoggerService {
  readonly pino: Pino;

  constructor(config: AppConfig) {
    this.pino = createPino(config.LOG_LEVEL);
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest passes (message, ...extra, context); error() passes (message, stack?, context). */
  private write(level: pino.Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const rest = [...params];
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string'
        ? (rest.pop() as string)
        : undefined;
    const fields: Record<string, unknown> = {};
    if (context) fields.context = context;
    if (message instanceof Error) {
      fields.err = { type: message.name, message: message.message, stack: message.stack };
      this.pino[level](fields, message.message);
      return;
    }
    if (level === 'error' && typeof rest[0] === 'string') fields.stack = rest[0];
    if (typeof message === 'object' && message !== null)
      this.pino[level]({ ...fields, ...(message as object) });
    else this.pino[level](fields, String(message));
  }
}
