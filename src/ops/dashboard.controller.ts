import { Controller, Get, Header, Param, StreamableFile } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { NotAudited } from '../common/not-audited.decorator';
import { publicFile } from './dashboard-assets';
import { DashboardDataDto } from './dashboard.dto';
import { DashboardService } from './dashboard.service';

/**
 * The dashboard is public and read-only, like the model metadata the API already exposes:
 * it shows metrics and counts, never a request's body, a client or a token. Put it behind the
 * reverse proxy's auth if even that is too much for a deployment. Its traffic is not audited.
 */
@ApiTags('ops')
@NotAudited()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get()
  @ApiOperation({
    summary: 'Dashboard page: model versions over time, champion fit, training runs, audit volume',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'An HTML page drawing /dashboard/data with Chart.js served by the app',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @Header('Cache-Control', 'no-cache')
  page(): StreamableFile {
    return publicFile('dashboard.html');
  }

  @Get('version')
  @ApiOperation({
    summary:
      "A model version's page (?family=&version=): search history, error by price band, feature importance, range calibration",
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'An HTML page drawing /v1/models/:family/versions/:version/trust',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @Header('Cache-Control', 'no-cache')
  version(): StreamableFile {
    return publicFile('version.html');
  }

  @Get('data')
  @ApiOperation({ summary: 'Everything the dashboard draws, as JSON (public, read-only)' })
  @ApiOkResponse({ type: DashboardDataDto })
  data(): Promise<DashboardDataDto> {
    return this.dashboard.data();
  }

  /** Any file of ops/public by its name (and the chart library). */
  @Get('assets/:name')
  @ApiExcludeEndpoint()
  @SkipThrottle()
  @Header('Cache-Control', 'public, max-age=3600')
  asset(@Param('name') name: string): StreamableFile {
    return publicFile(name);
  }
}
