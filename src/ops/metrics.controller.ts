import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { MetricsService } from './metrics.service';

@ApiTags('ops')
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
  @ApiResponse({ status: 200, description: 'The metrics, one sample per line' })
  async scrape(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.type(this.metrics.contentType);
    return this.metrics.metrics();
  }
}
