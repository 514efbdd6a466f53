import { Body, Controller, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly, StaffOnly } from '../common/admin-auth.guard';
import { ErrorResponseDto } from '../common/error-response.dto';
import { OutcomeDatasetDto, OutcomeDto, OutcomeSummaryDto, RecordOutcomeDto } from './outcomes.dto';
import { OutcomesService } from './outcomes.service';

@ApiTags('outcomes')
@StaffOnly()
@Controller('v1/outcomes')
export class OutcomesController {
  constructor(private readonly outcomes: OutcomesService) {}

  @Post()
  @HttpCode(HttpStatus.CREATED)
  @ApiOperation({
    summary: 'Record what the store paid for a diamond the service priced',
    description:
      'Names the pricing answer by its `requestId` (and, for a batch, the `item` index). A second outcome for the same diamond replaces the first. The features, the quote and the model version are those stored when the diamond was priced.',
  })
  @ApiCreatedResponse({ type: OutcomeDto })
  @ApiBadRequestResponse({
    type: ErrorResponseDto,
    description: 'VALIDATION_FAILED: requestId, item or price missing or out of range.',
  })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'NOT_FOUND: no request of that id priced a diamond, or it has no such item.',
  })
  async record(@Body() body: RecordOutcomeDto): Promise<OutcomeDto> {
    return this.outcomes.record(body.requestId, body.item ?? 0, body.price);
  }

  @Get('summary')
  @ApiOperation({
    summary: 'How the served prices did against what the store paid',
    description:
      'Count and mean absolute error of the quotes against the prices paid, per model version, and how often the paid price fell inside the range quoted.',
  })
  @ApiOkResponse({ type: OutcomeSummaryDto })
  summary(): Promise<OutcomeSummaryDto> {
    return this.outcomes.summary();
  }
}

@ApiTags('outcomes')
@AdminOnly()
@Controller('v1/admin/outcomes')
export class OutcomesAdminController {
  constructor(private readonly outcomes: OutcomesService) {}

  @Post('dataset')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Turn the outcomes not yet used into a dataset batch of their own',
    description:
      'Each outcome becomes a row (the features as priced, the price paid) of one batch ingested as a CSV would be (same validation; drift assessed; retract it like any batch to leave it out). Prices paid after seeing the quote are anchored on it: see docs/explanations.md. With no unused outcome, nothing is ingested (batchId null).',
  })
  @ApiOkResponse({ type: OutcomeDatasetDto })
  toDataset(): Promise<OutcomeDatasetDto> {
    return this.outcomes.toDataset();
  }
}
