import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CurrentRequest, RequestContext, requestScope } from '../../src/common/request-context';

export class ProbeEchoDto {
  @IsString()
  name: string;

  @IsOptional()
  @IsString()
  password?: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  carat?: number;
}

/** Test-only routes for the outcomes no real endpoint gives on demand (a model-served answer, a crash). */
@Controller('v1/audit-test')
export class AuditProbeController {
  @Get('ok')
  @ApiOkResponse({ schema: { type: 'object', properties: { ok: { type: 'boolean' } } } })
  ok(): { ok: boolean } {
    return { ok: true };
  }

  @Post('echo')
  @HttpCode(200)
  @ApiOkResponse({ schema: { type: 'object', additionalProperties: true } })
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  /** Served "by a model", as the prediction endpoints report it. */
  @Get('priced')
  @ApiOkResponse({ schema: { type: 'object', properties: { price: { type: 'number' } } } })
  priced(@CurrentRequest() request: RequestContext): { price: number } {
    request.model = { family: 'xgboost', version: 3 };
    return { price: 1234.5 };
  }

  /** The request id a service's log line would carry, read after the body was parsed and an await. */
  @Post('scope')
  @HttpCode(200)
  @ApiOkResponse({
    schema: {
      type: 'object',
      properties: { name: { type: 'string' }, requestId: { type: 'string' } },
    },
  })
  async scope(@Body() body: ProbeEchoDto): Promise<{ name: string; requestId?: string }> {
    await new Promise((resolve) => setImmediate(resolve));
    return { name: body.name, requestId: requestScope.getStore()?.requestId };
  }

  @Get('boom')
  boom(): never {
    throw new Error('boom: the disk is on fire');
  }
}
