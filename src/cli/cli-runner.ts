import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DomainError } from '../common/domain-error';
import { AppConfig, ConfigValidationError, loadConfig } from '../config/app-config';
import { describeDatabase } from '../database/database-options';
import { FileRefusedError } from '../diamonds/csv-reader';
import { CliLogger, text } from './cli-logger';
import { CliModule } from './cli.module';

/** Wrong arguments: the command's usage line is printed, exit status 2. */
export class CliUsageError extends Error {}

export interface CliCommand<Args> {
  /** `npm run train -- [--trials N] [--families a,b]` */
  usage: string;
  /** What the command does, after the usage line of --help. */
  help: string;
  /** Reads the arguments (throws CliUsageError). Runs before anything else: --help needs no database. */
  parse(argv: string[]): Args;
  /** Does the work; returns the exit status. */
  run(app: INestApplicationContext, args: Args): Promise<number>;
}

/** Where a command runs: its arguments, the environment, how the application context is built. */
interface CliRunOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  boot?: (config: AppConfig) => Promise<INestApplicationContext>;
}

/** Runs a command (npm run train, npm run ingest) and exits with its status. */
export function runCli<Args>(command: CliCommand<Args>): void {
  void runCommand(command).then((status) => process.exit(status));
}

/**
 * Runs a command and returns its exit status. Every refusal (arguments, configuration, database,
 * a domain rule such as a run already in progress, a refused file) is one line on stderr and a
 * non-zero status, never a stack trace.
 */
export async function runCommand<Args>(
  command: CliCommand<Args>,
  { argv = process.argv.slice(2), env = process.env, boot = createCliContext }: CliRunOptions = {},
): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`Usage: ${command.usage}\n\n${command.help}\n`);
    return 0;
  }
  let args: Args;
  let config: AppConfig;
  try {
    args = command.parse(argv);
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof CliUsageError) {
      process.stderr.write(`${err.message}; usage: ${command.usage}\n`);
      return 2;
    }
    return refuse(err);
  }
  let app: INestApplicationContext;
  try {
    app = await boot(config);
  } catch (err) {
    process.stderr.write(`Cannot open the database (${describeDatabase(config)}): ${text(err)}\n`);
    return 1;
  }
  try {
    return await command.run(app, args);
  } catch (err) {
    return refuse(err);
  } finally {
    await app.close().catch(() => undefined);
  }
}

/** The command line's application context (CliModule): no HTTP, nothing of the server's. */
export function createCliContext(config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(CliModule.forRoot(config), {
    logger: new CliLogger(config.LOG_LEVEL),
    abortOnError: false,
  });
}

function refuse(err: unknown): number {
  const known =
    err instanceof ConfigValidationError ||
    err instanceof DomainError ||
    err instanceof FileRefusedError;
  process.stderr.write(`${known ? '' : 'Failed: '}${text(err)}\n`);
  return 1;
}
