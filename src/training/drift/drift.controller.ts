import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../../common/admin-auth.guard';
import { DomainError, ErrorCode } from '../../common/domain-error';
import { ParseIdPipe } from '../../common/parse-id.pipe';
import { BatchDriftService } from './batch-drift.service';
import { BatchDriftDto, toBatchDriftDto } from './drift.dto';

/** A batch's drift report: how far its rows are from what the champion trained on. */
@ApiTags('admin: datasets')
@AdminOnly()
@Controller('v1/admin/datasets')
export class DriftController {
  constructor(private readonly drift: BatchDriftService) {}

  @Get(':batchId/drift')
  @ApiOperation({
    summary:
      "A batch against the champion's training data: PSI per feature, share outside the trained range, drifted or not",
  })
  @ApiOkResponse({ type: BatchDriftDto })
  @ApiNotFoundResponse({
    description:
      'No drift report: unknown batch, no champion when it was ingested, or the champion trained on it',
  })
  async batchDrift(@Param('batchId', ParseIdPipe) id: number): Promise<BatchDriftDto> {
    const report = await this.drift.find(id);
    if (!report)
      throw new DomainError(
        ErrorCode.NotFound,
        `Batch ${id} has no drift report (unknown batch, no champion to compare it with, or part of the champion's training data)`,
      );
    return toBatchDriftDto(report, await this.drift.batchStatus(id));
  }
}
