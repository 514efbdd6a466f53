import { Injectable, Logger } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DiamondsService } from '../diamonds/diamonds.service';
import { AuditPartitionService } from '../audit/audit-partition.service';
import { AuditStatsService } from '../audit/audit-stats.service';
import { ModelCatalog } from '../registry/model-catalog';
import { TrainingRunRepository } from '../training/training-run.repository';

const METRIC_PREFIX = 'diamonds_';

/**
 * The Prometheus registry of this process. HTTP and prediction metrics are counted as requests
 * finish; the rest is read at scrape time (collect callbacks) from the shared database and the
 * audit module, so every instance reports the same cluster-wide training and dataset numbers.
 */
@Injectable()
export class MetricsService {
  private readonly logger = new Logger(MetricsService.name);
  /** One registry per app (not prom-client's global one) so several apps in one process never clash. */
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: `${METRIC_PREFIX}http_requests_total`,
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: `${METRIC_PREFIX}http_request_duration_seconds`,
    help: 'HTTP request latency by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly predictions = new Counter({
    name: `${METRIC_PREFIX}predictions_total`,
    help: 'Prices predicted, by model family and version (a batch counts each diamond)',
    labelNames: ['family', 'version'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly diamonds: DiamondsService,
    private readonly runs: TrainingRunRepository,
    private readonly catalog: ModelCatalog,
    private readonly audit: AuditStatsService,
    private readonly partitions: AuditPartitionService,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.registerScrapeTimeMetrics();
  }

  /** Counts a finished HTTP request and, when a model served it, its predictions. */
  observeRequest(
    method: string,
    route: string,
    status: number,
    seconds: number,
    model?: { family: string; version: number },
    predictionCount?: number,
  ): void {
    const labels = { method, route, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
    if (model && status < 400)
      this.predictions.inc(
        { family: model.family, version: String(model.version) },
        predictionCount ?? 1,
      );
  }

  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private registerScrapeTimeMetrics(): void {
    const { diamonds, runs, catalog, audit, partitions, logger } = this;
    const registers = [this.registry];
    // A failing source must not fail the whole scrape: log it and leave the metric as it was.
    const guarded = async (name: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        logger.warn(`Metric ${name} not collected: ${(err as Error).message}`);
      }
    };

    new Gauge({
      name: `${METRIC_PREFIX}dataset_rows`,
      help: 'Accepted diamonds in the store (shared database)',
      registers,
      async collect() {
        await guarded('dataset_rows', async () => this.set(await diamonds.countDiamonds()));
      },
    });

    // Totals over the training_run table: monotonic as runs are never deleted.
    new Counter({
      name: `${METRIC_PREFIX}training_runs_total`,
      help: 'Training runs recorded (shared database), by status and trigger',
      labelNames: ['status', 'trigger'] as const,
      registers,
      async collect() {
        await guarded('training_runs_total', async () => {
          const rows = await runs.durations();
          this.reset();
          for (const r of rows) this.inc({ status: r.status, trigger: r.trigger });
        });
      },
    });

    new Histogram({
      name: `${METRIC_PREFIX}training_run_duration_seconds`,
      help: 'Duration of finished training runs recorded (shared database), by status and trigger',
      labelNames: ['status', 'trigger'] as const,
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
      registers,
      async collect() {
        await guarded('training_run_duration_seconds', async () => {
          const rows = await runs.durations();
          this.reset();
          for (const r of rows)
            if (r.durationSeconds !== null)
              this.observe({ status: r.status, trigger: r.trigger }, r.durationSeconds);
        });
      },
    });

    new Counter({
      name: `${METRIC_PREFIX}search_trials_total`,
      help: 'Hyperparameter-search trials of registered versions, by family and state (complete, pruned, failed)',
      labelNames: ['family', 'state'] as const,
      registers,
      async collect() {
        await guarded('search_trials_total', async () => {
          const rows = await catalog.trialsByFamilyAndState();
          this.reset();
          for (const r of rows) this.inc({ family: r.family, state: r.state }, r.count);
        });
      },
    });

    new Gauge({
      name: `${METRIC_PREFIX}audit_queue_depth`,
      help: "Audit records waiting in this instance's write-behind queue",
      registers,
      collect() {
        const s = audit.stats();
        this.set(s.queueDepth);
      },
    });

    new Gauge({
      name: `${METRIC_PREFIX}audit_write_lag_seconds`,
      help: 'Age of the oldest audit record this instance has not yet written to the database (0 when none waits)',
      registers,
      collect() {
        const s = audit.stats();
        this.set(s.writeLagSeconds);
      },
    });

    // PostgreSQL only (SQLite keeps one audit table): left at 0 there.
    new Gauge({
      name: `${METRIC_PREFIX}audit_partitions`,
      help: 'Partitions of the audit table holding records (shared database; the default partition left out)',
      registers,
      async collect() {
        await guarded('audit_partitions', async () => {
          const p = await partitions.stats();
          if (p) this.set(p.count);
        });
      },
    });

    new Gauge({
      name: `${METRIC_PREFIX}audit_oldest_partition_timestamp_seconds`,
      help: 'Start of the oldest audit partition (its oldest record for the migrated legacy one), Unix seconds',
      registers,
      async collect() {
        await guarded('audit_oldest_partition_timestamp_seconds', async () => {
          const p = await partitions.stats();
          if (p?.oldestStart != null) this.set(p.oldestStart / 1000);
        });
      },
    });

    new Counter({
      name: `${METRIC_PREFIX}audit_spool_errors_total`,
      help: "Failures of this instance's audit spool: append (write failed: the record was in memory only, or dropped), sync (fdatasync failed: written, not known to be on the disk)",
      labelNames: ['operation'] as const,
      registers,
      collect() {
        const s = audit.stats();
        this.reset();
        this.inc({ operation: 'append' }, s.spoolAppendErrors);
        this.inc({ operation: 'sync' }, s.spoolSyncErrors);
      },
    });

    new Counter({
      name: `${METRIC_PREFIX}audit_records_dropped_total`,
      help: 'Audit records this instance lost: the spool could not be written and its memory queue was full',
      registers,
      collect() {
        const s = audit.stats();
        this.reset();
        this.inc(s.dropped);
      },
    });

    new Gauge({
      name: `${METRIC_PREFIX}audit_spool_bytes`,
      help: "Size of this instance's local audit spool (records not yet in the database)",
      registers,
      collect() {
        const s = audit.stats();
        this.set(s.spoolBytes);
      },
    });
  }
}
