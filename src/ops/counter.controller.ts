import { Controller, Get, Header, Param, Redirect, StreamableFile } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { DomainError, ErrorCode } from '../common/domain-error';
import { NotAudited } from '../common/not-audited.decorator';
import { dashboardAsset } from './dashboard-assets';

function serve(name: string): StreamableFile {
  const asset = dashboardAsset(name);
  if (!asset) throw new DomainError(ErrorCode.NotFound, `No counter asset named ${name}`);
  return new StreamableFile(asset.body, { type: asset.type, length: asset.body.length });
}

/**
 * The counter page for store staff: static files of ops/public (no CDN: the store may be
 * offline) that call the public API only, like any other client. The page and its files are not
 * audited; the API calls it makes are.
 */
@ApiTags('ops')
@NotAudited()
@Controller()
export class CounterController {
  @Get()
  @Redirect('/counter', 302)
  @ApiExcludeEndpoint()
  root(): void {}

  @Get('counter')
  @Header('Cache-Control', 'no-cache')
  @ApiOperation({
    summary: 'Counter page: price a diamond and see similar diamonds of the store (for staff)',
  })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'An HTML page calling POST /v1/prices and GET /v1/similar-diamonds',
  })
  page(): StreamableFile {
    return serve('counter.html');
  }

  @Get('counter/assets/:name')
  @SkipThrottle()
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string): StreamableFile {
    return serve(name);
  }
}
