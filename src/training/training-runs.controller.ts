import { ParseIdPipe } from '../common/parse-id.pipe';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { AdminOnly } from '../common/admin-auth.guard';
import { DomainError, ErrorCode } from '../common/domain-error';
import {
  ListRunsQueryDto,
  RunStartedDto,
  StartRunDto,
  toTrainingRunDto,
  TrainingRunDto,
} from './training.dto';
import { TrainingService } from './training.service';

/** Training runs: start one (the same pipeline as the nightly job), follow it, list them. */
@ApiTags('admin')
@AdminOnly()
@Controller('v1/admin/training-runs')
export class TrainingRunsController {
  constructor(private readonly training: TrainingService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Ingest the drop folder and retrain every family now',
    description: 'Answers at once with the run id; poll GET /v1/admin/training-runs/{id}.',
  })
  @ApiAcceptedResponse({ type: RunStartedDto })
  @ApiConflictResponse({
    description:
      'CONFLICT: a run is already in progress; the `details` entry with field `runningRunId` gives its id as `value`',
  })
  async start(@Body() body: StartRunDto): Promise<RunStartedDto> {
    const { runId } = await this.training
      .startRun('admin', { trials: body.trials, families: body.families, actor: 'admin' })
      .catch((err: unknown) => {
        // An unknown family sent in the body is a bad field of the request (400), not a missing resource.
        if (err instanceof DomainError && err.code === ErrorCode.NotFound)
          throw new DomainError(ErrorCode.ValidationFailed, `Validation failed: ${err.message}`, [
            { field: 'families', rules: { isKnownFamily: err.message } },
          ]);
        throw err;
      });
    return { runId, status: 'running', href: `/v1/admin/training-runs/${runId}` };
  }

  @Get()
  @ApiOperation({ summary: 'Training runs, newest first' })
  @ApiOkResponse({ type: [TrainingRunDto] })
  async list(@Query() query: ListRunsQueryDto): Promise<TrainingRunDto[]> {
    return (await this.training.listRuns(query.limit ?? 20)).map(toTrainingRunDto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One training run: status, per-family outcome, error' })
  @ApiOkResponse({ type: TrainingRunDto })
  @ApiNotFoundResponse({ description: 'No such run' })
  async get(@Param('id', ParseIdPipe) id: number): Promise<TrainingRunDto> {
    return toTrainingRunDto(await this.training.getRun(id));
  }
}
