import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { CurrentRequest, RequestContext } from '../../src/common/request-context';

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
  ok(): { ok: boolean } {
    return { ok: true };
  }

  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: ProbeEchoDto): ProbeEchoDto {
    return body;
  }

  /** Served "by a model", as the prediction endpoints report it. */
  @Get('priced')
  priced(@CurrentRequest() request: RequestContext): { price: number } {
    request.model = { family: 'xgboost', version: 3 };
    return { price: 1234.5 };
  }

  @Get('boom')
  boom(): never {
    throw new Error('boom: the disk is on fire');
  }
}
