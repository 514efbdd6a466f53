import { Controller, Get, Header, Param, Redirect, StreamableFile } from '@nestjs/common';
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
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  page(): StreamableFile {
    return publicFile('counter.html');
  }

  @Get('counter/assets/:name')
  @SkipThrottle()
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string): StreamableFile {
    return publicFile(name);
  }
}
