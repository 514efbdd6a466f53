import {
  BeforeApplicationShutdown,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { AuditWriter } from './audit-writer';

/**
 * Starts the audit writer (replaying the spool left by an earlier run) and flushes it on a
 * graceful shutdown (SIGTERM, app.close()): once while the server still answers, once more after
 * it has stopped, if the database is still open. What the database cannot take in time stays in
 * the spool and is written on the next start.
 */
@Injectable()
export class AuditWriterLifecycle
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(AuditWriterLifecycle.name);

  constructor(
    private readonly config: AppConfig,
    private readonly writer: AuditWriter,
  ) {}

  onModuleInit(): void {
    if (this.config.AUDIT_ENABLED) this.writer.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.drain(this.config.AUDIT_SHUTDOWN_FLUSH_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    // Requests that finished while the server was closing.
    const done = await this.writer.drain(Math.min(this.config.AUDIT_SHUTDOWN_FLUSH_MS, 2000));
    this.writer.stop();
    if (!done) {
      const { queueDepth, spoolBytes } = this.writer.stats();
      this.logger.warn(
        `Audit: ${queueDepth} record(s) not yet in the database; kept in the spool (${spoolBytes} bytes) for the next start`,
      );
    }
  }
}
