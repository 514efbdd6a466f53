import { Controller, Get, HttpCode, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { ErrorResponseDto } from '../common/error-response.dto';
import { InfrastructureRoute } from '../common/not-audited.decorator';
import { HealthResultDto } from './health.dto';
import { HealthService } from './health.service';

@ApiTags('ops')
@InfrastructureRoute()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Liveness: the process is up and answers (restart it when this fails)' })
  @ApiResponse({
    status: 200,
    type: HealthResultDto,
    description: 'Alive: `info.process` gives `uptimeSeconds` and `pid`',
  })
  live() {
    return this.health.live();
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Readiness: not draining (stopping), database reachable, migrations applied, a champion model loaded',
    description:
      'Send traffic to this instance only while it answers 200. The `details` say which check failed.',
  })
  @ApiResponse({
    status: 200,
    type: HealthResultDto,
    description:
      'Ready: `details` holds every check (shutdown, database, migrations, champion, audit)',
  })
  @ApiResponse({
    status: 503,
    type: ErrorResponseDto,
    description:
      'NOT_READY: the error body names the failing checks in `message` and in `details` (one entry per failing check)',
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
  const result = err.getResponse() as { error?: Record<string, { message?: string }> };
  const failing = Object.entries(result.error ?? {});
  const down = failing.map(([key, v]) => (v?.message ? `${key} (${v.message})` : key));
  return new ServiceUnavailableException({
    message: `Not ready: ${down.join(', ') || 'a check failed'}`,
    code: 'NOT_READY',
    details: failing.map(([key, v]) => ({ field: key, rules: { up: v?.message ?? 'down' } })),
  });
}
