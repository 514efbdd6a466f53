import { Controller, Get, HttpCode, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { InfrastructureRoute } from '../common/not-audited.decorator';
import { HealthService } from './health.service';

@ApiTags('ops')
@InfrastructureRoute()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HealthCheck()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Liveness: the process is up and answers (restart it when this fails)' })
  @ApiResponse({
    status: 200,
    description: '`{ status: "ok", info: { process: { status: "up", uptimeSeconds, pid } } }`',
  })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @HealthCheck()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Readiness: not draining (stopping), database reachable, migrations applied, a champion model loaded',
    description:
      'Send traffic to this instance only while it answers 200. The `details` say which check failed.',
  })
  @ApiResponse({
    status: 200,
    description:
      '`{ status: "ok", info, error: {}, details: { shutdown, database, migrations, champion, audit } }`',
  })
  @ApiResponse({
    status: 503,
    description:
      'Not ready: the error body names the failing checks in `message`, all checks in `details`',
  })
  async ready() {
    try {
      return await this.health.ready();
    } catch (err) {
      throw notReady(err);
    }
  }
}

/** Terminus's 503 carries the check results; restate it in the API's error shape, naming what is down. */
function notReady(err: unknown): unknown {
  if (!(err instanceof ServiceUnavailableException)) return err;
  const result = err.getResponse() as {
    error?: Record<string, { message?: string }>;
    details?: unknown;
  };
  const down = Object.entries(result.error ?? {}).map(([key, v]) =>
    v?.message ? `${key} (${v.message})` : key,
  );
  return new ServiceUnavailableException({
    message: `Not ready: ${down.join(', ') || 'a check failed'}`,
    details: result.details,
  });
}
