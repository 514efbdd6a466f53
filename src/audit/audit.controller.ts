import { Controller, Get, HttpCode, HttpStatus, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../common/admin-auth.guard';
import {
  AuditRecordDto,
  AuditRecordPageDto,
  AuditRecordQueryDto,
  AuditStatsDto,
} from './audit.dto';
import { AuditQueryService } from './audit-query.service';
import { AuditStatsService } from './audit-stats.service';

@ApiTags('audit')
@AdminOnly()
@Controller('v1/admin')
export class AuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly statsService: AuditStatsService,
  ) {}

  @Get('audit-records')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'List audit records',
    description:
      'Every API request and its response, newest first, filtered; follow `nextCursor` for older pages.',
  })
  @ApiOkResponse({ type: AuditRecordPageDto })
  @ApiResponse({ status: 400, description: 'A filter is invalid (the message names it)' })
  list(@Query() query: AuditRecordQueryDto): Promise<AuditRecordPageDto> {
    return this.query.list(query);
  }

  @Get('audit-records/:id')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'One audit record' })
  @ApiParam({ name: 'id', description: 'Record id (UUID)' })
  @ApiOkResponse({ type: AuditRecordDto })
  @ApiResponse({ status: 404, description: 'No such record' })
  get(@Param('id') id: string): Promise<AuditRecordDto> {
    return this.query.get(id);
  }

  @Get('audit-stats')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Audit writer state',
    description: 'Queue depth, spool size and write counters of this instance.',
  })
  @ApiOkResponse({ type: AuditStatsDto })
  stats(): AuditStatsDto {
    return this.statsService.stats();
  }
}
