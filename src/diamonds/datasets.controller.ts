import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
  ApiBody,
  ApiConflictResponse,
  ApiParam,
} from '@nestjs/swagger';
import { HttpAdapterHost } from '@nestjs/core';
import type { Readable } from 'node:stream';
import { rawRequest } from '../common/request-context';
import { AdminOnly } from '../common/admin-auth.guard';
import { ParseIdPipe } from '../common/parse-id.pipe';
import {
  AcceptBatchDto,
  DatasetBatchDto,
  IngestionReportDto,
  RejectedRowsQueryDto,
  RejectionDto,
  RetractBatchDto,
  RetractionDto,
  toRetractionDto,
  toDatasetBatchDto,
  toIngestionReportDto,
  toRejectionDto,
  UploadQueryDto,
} from './datasets.dto';
import { DatasetsService } from './datasets.service';

/** Fresh data from an admin: upload a CSV batch, list the batches, read a batch's rejected rows. */
@ApiTags('admin: datasets')
@AdminOnly()
@Controller('v1/admin/datasets')
export class DatasetsController {
  constructor(
    private readonly datasets: DatasetsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Upload a CSV batch (raw body, Content-Type: text/csv)',
    description:
      'The body is streamed to disk (UPLOAD_MAX_BYTES enforced as it arrives), then validated row by row exactly like a file of the drop folder. ' +
      'Example: `curl -X POST --data-binary @batch.csv -H "Content-Type: text/csv" -H "Authorization: Bearer $ADMIN_TOKEN" "http://localhost:3000/v1/admin/datasets?filename=batch.csv"`',
  })
  @ApiConsumes('text/csv')
  @ApiBody({
    description: 'The CSV file: header carat,cut,color,clarity,depth,table,price,x,y,z',
    schema: { type: 'string', format: 'binary' },
  })
  @ApiCreatedResponse({
    type: IngestionReportDto,
    description: 'Ingested: accepted and rejected counts, the first rejections',
  })
  @ApiOkResponse({
    type: IngestionReportDto,
    description: 'outcome "duplicate": this exact file was ingested before; nothing added',
  })
  @ApiUnprocessableEntityResponse({
    description: 'FILE_REFUSED: empty, not CSV, unparsable or wrong header; nothing stored',
  })
  @ApiPayloadTooLargeResponse({ description: 'Larger than UPLOAD_MAX_BYTES' })
  @ApiUnsupportedMediaTypeResponse({ description: 'Not a raw text/csv body' })
  async upload(
    @Req() request: object,
    @Res({ passthrough: true }) res: object,
    @Query() query: UploadQueryDto,
  ): Promise<IngestionReportDto> {
    const { httpAdapter } = this.adapterHost;
    // The raw body stream, never parsed: it goes to disk as it arrives.
    const req = rawRequest(request);
    const length = req.headers['content-length'];
    const report = await this.datasets
      .upload({
        body: req as Readable,
        contentType: req.headers['content-type'],
        contentLength: length === undefined ? undefined : Number(length),
        filename: query.filename ?? `upload-${new Date().toISOString().replace(/[:.]/g, '-')}.csv`,
      })
      .catch((err: unknown) => {
        // The rest of a refused body may still be on its way: close instead of reading it to the end.
        httpAdapter.setHeader(res, 'Connection', 'close');
        throw err;
      });
    httpAdapter.status(res, report.outcome === 'duplicate' ? 200 : 201);
    return toIngestionReportDto(report);
  }

  @Get()
  @ApiOperation({
    summary: 'Every ingested batch (bundled, drop folder, upload, CLI), oldest first',
  })
  @ApiOkResponse({ type: [DatasetBatchDto] })
  async batches(): Promise<DatasetBatchDto[]> {
    return (await this.datasets.batches()).map(toDatasetBatchDto);
  }

  @Get(':batchId/rejected-rows')
  @ApiOperation({ summary: "A batch's rejected rows with their line, raw text and every reason" })
  @ApiOkResponse({ type: [RejectionDto] })
  @ApiNotFoundResponse({ description: 'No such batch' })
  async rejectedRows(
    @Param('batchId', ParseIdPipe) batchId: number,
    @Query() query: RejectedRowsQueryDto,
  ): Promise<RejectionDto[]> {
    return (await this.datasets.rejectedRows(batchId, query.limit ?? 1000)).map(toRejectionDto);
  }

  @Post(':batchId/retract')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Take a batch out of the dataset (its rows stay stored, the act is in the ledger)',
    description:
      "The batch's rows leave the training set of the next run and the similar-diamonds index at once; " +
      'they stay in the database for the record. The nightly job retrains because the dataset changed.',
  })
  @ApiParam({ name: 'batchId', example: 4 })
  @ApiOkResponse({ type: RetractionDto, description: 'The ledger entry' })
  @ApiNotFoundResponse({ description: 'No such batch' })
  @ApiConflictResponse({ description: 'The batch is already retracted' })
  async retract(
    @Param('batchId', ParseIdPipe) batchId: number,
    @Body() body: RetractBatchDto,
  ): Promise<RetractionDto> {
    return toRetractionDto(
      await this.datasets.retract(batchId, body.reason, body.actor ?? 'admin'),
    );
  }

  @Post(':batchId/restore')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Put a retracted batch back into the dataset (its ledger entry is marked restored)',
    description:
      "The batch's stored rows return to the next run's training set and to the similar-diamonds index. " +
      'Re-uploading the same file does not: it answers "duplicate" with a note pointing here.',
  })
  @ApiParam({ name: 'batchId', example: 4 })
  @ApiOkResponse({ type: RetractionDto, description: 'The ledger entry, marked restored' })
  @ApiNotFoundResponse({ description: 'No such batch' })
  @ApiConflictResponse({ description: 'The batch is not retracted' })
  async restore(
    @Param('batchId', ParseIdPipe) batchId: number,
    @Body() body: AcceptBatchDto,
  ): Promise<RetractionDto> {
    return toRetractionDto(await this.datasets.restore(batchId, body.actor ?? 'admin'));
  }

  @Post(':batchId/accept')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Accept a batch the price check held: it joins the next training run',
    description:
      "A batch whose prices disagree with the default champion's calibrated ranges is held out of training " +
      '(status "held", with its reason). Accepting it puts its rows into the next run\'s training set; ' +
      'POST .../retract drops it instead (its rows stay in the ledger).',
  })
  @ApiParam({ name: 'batchId', example: 4 })
  @ApiOkResponse({ type: DatasetBatchDto, description: 'The batch, now active' })
  @ApiNotFoundResponse({ description: 'No such batch' })
  @ApiConflictResponse({
    description: 'The batch is not held (active, accepted already, or retracted)',
  })
  async accept(
    @Param('batchId', ParseIdPipe) batchId: number,
    @Body() body: AcceptBatchDto,
  ): Promise<DatasetBatchDto> {
    return toDatasetBatchDto(await this.datasets.accept(batchId, body.actor ?? 'admin'));
  }

  @Get('retractions')
  @ApiOperation({ summary: 'The retraction ledger, newest first' })
  @ApiOkResponse({ type: [RetractionDto] })
  async retractions(): Promise<RetractionDto[]> {
    return (await this.datasets.retractions()).map(toRetractionDto);
  }
}
