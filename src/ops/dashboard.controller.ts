import { Controller, Get, Param, Res } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DASHBOARD_ASSETS, dashboardPage, versionPage } from './dashboard-assets';
import { DashboardDataDto } from './dashboard.dto';
import { DashboardService } from './dashboard.service';

/**
 * The dashboard is public and read-only, like the model metadata the API already exposes:
 * it shows metrics and counts, never a request's body, a client or a token. Put it behind the
 * reverse proxy's auth if even that is too much for a deployment.
 */
@ApiTags('ops')
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
  })
  page(@Res() res: Response): void {
    const page = dashboardPage();
    res.type(page.type).setHeader('Cache-Control', 'no-cache');
    res.send(page.body);
  }

  @Get('version')
  @ApiOperation({
    summary:
      "A model version's page (?family=&version=): search history, error by price band, feature importance, range calibration",
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'An HTML page drawing /v1/models/:family/versions/:version/trust',
  })
  version(@Res() res: Response): void {
    const page = versionPage();
    res.type(page.type).setHeader('Cache-Control', 'no-cache');
    res.send(page.body);
  }

  @Get('data')
  @ApiOperation({ summary: 'Everything the dashboard draws, as JSON (public, read-only)' })
  @ApiOkResponse({ type: DashboardDataDto })
  data(): Promise<DashboardDataDto> {
    return this.dashboard.data();
  }

  @Get('assets/:name')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string, @Res() res: Response): void {
    const asset = Object.hasOwn(DASHBOARD_ASSETS, name) ? DASHBOARD_ASSETS[name]() : undefined;
    if (!asset) throw new DomainError(ErrorCode.NotFound, `No dashboard asset named ${name}`);
    res.type(asset.type).setHeader('Cache-Control', 'public, max-age=3600');
    res.send(asset.body);
  }
}
