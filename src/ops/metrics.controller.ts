import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { prometheusContentType } from 'prom-client';
import { InfrastructureRoute } from '../common/not-audited.decorator';
import { MetricsService } from './metrics.service';

@ApiTags('ops')
@InfrastructureRoute()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'HTTP requests and latency by route and status, predictions by model family and version, training runs and durations, ' +
      'search trials, audit queue depth and spool size, dataset size, process metrics. All names start with `diamonds_`.',
  })
  @ApiProduces('text/plain')
  @ApiResponse({
    status: 200,
    description: 'The metrics, one sample per line',
    content: { 'text/plain': { schema: { type: 'string' } } },
  })
  @Header('Content-Type', prometheusContentType)
  async scrape(): Promise<string> {
    return this.metrics.metrics();
  }
}
