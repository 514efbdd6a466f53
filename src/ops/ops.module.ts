import { OutcomesModule } from '../outcomes/outcomes.module';
import { Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../config/app-config';
import { AuditModule } from '../audit/audit.module';
import { DiamondsModule } from '../diamonds/diamonds.module';
import { RegistryModule } from '../registry/registry.module';
import { TrainingModule } from '../training/training.module';
import { CounterController } from './counter.controller';
import { DashboardController } from './dashboard.controller';
import { DashboardService } from './dashboard.service';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { MetricsController } from './metrics.controller';
import { MetricsService } from './metrics.service';
import { OpsStatsRepository } from './ops-stats.repository';
import { PinoLoggerService } from './pino-logger.service';
import { PublicThrottlerGuard } from './public-throttler.guard';
import { ShutdownDrain } from './shutdown-drain';

/** Health, metrics, logs, throttling, the dashboard and the counter page: reads every other module, nothing depends on it. */
@Module({
  imports: [
    DiamondsModule,
    RegistryModule,
    TrainingModule,
    AuditModule,
    OutcomesModule,
    // Failures are reported in the 503 body and the access log; terminus's own log would repeat them.
    TerminusModule.forRoot({ logger: false }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ ttl: config.THROTTLE_TTL_MS, limit: config.THROTTLE_LIMIT }],
        errorMessage: `Too many requests: at most ${config.THROTTLE_LIMIT} per ${config.THROTTLE_TTL_MS / 1000}s per client; retry after the Retry-After delay`,
      }),
    }),
  ],
  controllers: [HealthController, MetricsController, DashboardController, CounterController],
  providers: [
    PinoLoggerService,
    MetricsService,
    HealthService,
    DashboardService,
    OpsStatsRepository,
    ShutdownDrain,
    { provide: APP_GUARD, useClass: PublicThrottlerGuard },
  ],
  exports: [PinoLoggerService, MetricsService, ShutdownDrain],
})
export class OpsModule implements OnApplicationBootstrap {
  private readonly logger = new Logger(OpsModule.name);

  constructor(private readonly config: AppConfig) {}

  onApplicationBootstrap(): void {
    if (!this.config.ADMIN_TOKEN)
      this.logger.warn(
        'Admin endpoints disabled: ADMIN_TOKEN is not set (they answer 503 "admin disabled")',
      );
    if (this.config.THROTTLE_LIMIT === 0) this.logger.log('Rate limiting off (THROTTLE_LIMIT=0)');
    else
      this.logger.log(
        `Rate limiting public endpoints: ${this.config.THROTTLE_LIMIT} requests per ${this.config.THROTTLE_TTL_MS} ms per client`,
      );
  }
}
