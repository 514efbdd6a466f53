import { Injectable } from '@nestjs/common';
import {
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { OpsStatsRepository } from './ops-stats.repository';
import { AuditStatsService } from '../audit/audit-stats.service';
import { ModelCatalog } from '../registry/model-catalog';
import { ShutdownDrain } from './shutdown-drain';

const DB_TIMEOUT_MS = 3000;

/** Liveness (the process answers) and readiness (it can price a diamond) for probes and load balancers. */
@Injectable()
export class HealthService {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly stats: OpsStatsRepository,
    private readonly catalog: ModelCatalog,
    private readonly auditStats: AuditStatsService,
    private readonly shutdown: ShutdownDrain,
  ) {}

  live() {
    return this.health.check([
      () =>
        this.indicator
          .check('process')
          .up({ uptimeSeconds: Math.round(process.uptime()), pid: process.pid }),
    ]);
  }

  /**
   * Ready = not draining, database reachable, no pending migration, a default champion whose
   * artifact is intact. Throws 503 (terminus) otherwise.
   */
  ready() {
    return this.health.check([
      () => this.draining(),
      () => this.database(),
      () => this.migrations(),
      () => this.champion(),
      () => this.audit(),
    ]);
  }

  /** A stopping instance (SIGTERM) takes no new work: the balancer should send it nothing. */
  private draining(): HealthIndicatorResult<'shutdown'> {
    const session = this.indicator.check('shutdown');
    return this.shutdown.draining
      ? session.down({ message: 'draining: this instance is stopping' })
      : session.up();
  }

  private database(): PromiseLike<HealthIndicatorResult<'database'>> {
    return this.indicator
      .check('database')
      .attempt(() => this.stats.ping())
      .withTimeout(DB_TIMEOUT_MS);
  }

  private async migrations(): Promise<HealthIndicatorResult<'migrations'>> {
    const session = this.indicator.check('migrations');
    try {
      return (await this.stats.hasPendingMigrations())
        ? session.down({
            message: 'pending migrations: start with DB_MIGRATIONS_RUN=true or run them',
          })
        : session.up();
    } catch (err) {
      return session.down({
        message: `cannot read the migrations table: ${(err as Error).message}`,
      });
    }
  }

  private async champion(): Promise<HealthIndicatorResult<'champion'>> {
    const session = this.indicator.check('champion');
    try {
      const champion = await this.catalog.defaultChampion();
      if (!champion)
        return session.down({
          message:
            'no champion model yet: train one (first start, POST /v1/admin/training-runs, npm run train)',
        });
      const model = {
        family: champion.family,
        version: champion.version,
        mae: champion.metrics.mae,
      };
      try {
        await this.catalog.verifyArtifact(champion);
      } catch (err) {
        // Not ready: a price request would fail (503 MODEL_UNAVAILABLE) once the model has to be
        // loaded from it, and any restart of a replica would.
        return session.down({
          ...model,
          message: `the default model ${champion.family} v${champion.version} cannot be loaded: ${(err as Error).message}`,
        });
      }
      return session.up(model);
    } catch (err) {
      return session.down({ message: `cannot read the registry: ${(err as Error).message}` });
    }
  }

  /** Informational: a growing spool means the database is refusing audit writes. */
  private audit(): HealthIndicatorResult<'audit'> {
    const session = this.indicator.check('audit');
    const { queueDepth, spoolBytes, written, failedWrites, writeLagSeconds } =
      this.auditStats.stats();
    return session.up({ queueDepth, spoolBytes, written, failedWrites, writeLagSeconds });
  }
}
