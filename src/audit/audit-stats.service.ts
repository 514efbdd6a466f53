import { Injectable } from '@nestjs/common';
import { AuditRepository } from './audit.repository';
import { AuditWriter, AuditWriterStats } from './audit-writer';

/** What other modules (health, metrics, dashboard) may know of the audit trail. */
@Injectable()
export class AuditStatsService {
  constructor(
    private readonly writer: AuditWriter,
    private readonly repository: AuditRepository,
  ) {}

  /** Queue depth, spool size and write counters; cheap (no I/O), fit for every scrape. */
  stats(): AuditWriterStats {
    return this.writer.stats();
  }

  /** Requests per route pattern and status since a time; unmatched routes are grouped as "(unmatched)". */
  volumeByRouteAndStatus(since: Date): Promise<{ route: string; status: number; count: number }[]> {
    return this.repository.volumeByRouteAndStatus(since);
  }
}
