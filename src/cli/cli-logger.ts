import { LoggerService } from '@nestjs/common';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The services' log on the command line: warnings and errors only, one line each on stderr,
 * never a stack (the tool's own output is what the user reads). A failure to start is reported
 * by the command itself, so the framework's own report of it is left out.
 */
export class CliLogger implements LoggerService {
  private readonly threshold: number;

  constructor(level: string) {
    this.threshold = Math.max(LEVELS.indexOf(level), LEVELS.indexOf('warn'));
  }

  log(): void {}

  warn(message: unknown): void {
    if (this.threshold <= LEVELS.indexOf('warn'))
      process.stderr.write(`warning: ${text(message)}\n`);
  }

  error(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (context === 'ExceptionHandler' || context === 'TypeOrmModule') return;
    if (this.threshold <= LEVELS.indexOf('error'))
      process.stderr.write(`error: ${text(message)}\n`);
  }
}

/** One line of a message or an error, whatever was logged. */
export function text(message: unknown): string {
  const raw =
    message instanceof Error
      ? errorText(message)
      : typeof message === 'string'
        ? message
        : String(message);
  return raw.replace(/\s*\n\s*/g, ' ').trim();
}

/** An error's message; pg's AggregateError (every address refused) has none of its own. */
function errorText(err: Error): string {
  if (err.message) return err.message;
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner) && inner[0] instanceof Error) return errorText(inner[0]);
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : err.name;
}
