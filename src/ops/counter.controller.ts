import { Controller, Get, Header, Param, Redirect, StreamableFile } from '@nestjs/common';
import {
  ApiExcludeEndpoint,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DomainError, ErrorCode } from '../common/domain-error';

const PUBLIC_DIR = join(__dirname, 'public');

/** The page's files, read once; they ship with the app (no CDN: the store may be offline). */
const COUNTER_FILES: Record<string, { file: string; type: string }> = {
  'counter.html': { file: 'counter.html', type: 'text/html; charset=utf-8' },
  'counter.js': { file: 'counter.js', type: 'application/javascript; charset=utf-8' },
  'counter.css': { file: 'counter.css', type: 'text/css; charset=utf-8' },
};
const cache = new Map<string, Buffer>();

function serve(name: string): StreamableFile {
  const entry = Object.hasOwn(COUNTER_FILES, name) ? COUNTER_FILES[name] : undefined;
  if (!entry) throw new DomainError(ErrorCode.NotFound, `No counter asset named ${name}`);
  let body = cache.get(name);
  if (!body) cache.set(name, (body = readFileSync(join(PUBLIC_DIR, entry.file))));
  return new StreamableFile(body, { type: entry.type, length: body.length });
}

/**
 * The counter page for store staff: static files that call the public API only, like any other
 * client. StreamableFile and @Header keep this controller free of the HTTP adapter's types.
 */
@ApiTags('ops')
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
  @Header('Cache-Control', 'no-cache')
  @ApiExcludeEndpoint()
  asset(@Param('name') name: string): StreamableFile {
    return serve(name === 'counter.html' ? '' : name);
  }
}
