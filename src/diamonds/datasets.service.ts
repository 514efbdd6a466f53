import { Injectable, Logger } from '@nestjs/common';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { FileRefusedError } from './csv-reader';
import { streamToTempFile, UploadTooLargeError } from './csv-upload.store';
import { DiamondsService, IngestionReport } from './diamonds.service';
import { BatchRetractionEntity } from './entities/batch-retraction.entity';
import { IngestionBatchEntity } from './entities/ingestion-batch.entity';
import { RejectedRowEntity } from './entities/rejected-row.entity';

/** Media types accepted as a raw CSV body. */
const CSV_TYPES = /^(text\/csv|text\/plain|application\/csv|application\/octet-stream)\b/i;

interface CsvUpload {
  body: Readable;
  contentType?: string;
  contentLength?: number;
  filename: string;
}

/** Fresh CSV batches uploaded by an admin: same validation and report as the drop folder. */
@Injectable()
export class DatasetsService {
  private readonly logger = new Logger(DatasetsService.name);

  constructor(
    private readonly diamonds: DiamondsService,
    private readonly config: AppConfig,
  ) {}

  async upload(upload: CsvUpload): Promise<IngestionReport> {
    const limit = this.config.UPLOAD_MAX_BYTES;
    if (!upload.contentType || !CSV_TYPES.test(upload.contentType)) {
      throw new DomainError(
        ErrorCode.UnsupportedMediaType,
        `Send the CSV file as the raw body with Content-Type: text/csv (got ${upload.contentType ?? 'none'})`,
      );
    }
    // Refuse before reading a byte when the client announces too much.
    if (upload.contentLength !== undefined && upload.contentLength > limit)
      throw new UploadTooLargeError(limit);
    const file = await streamToTempFile(upload.body, join(this.config.VAR_DIR, 'uploads'), limit);
    try {
      const report = await this.diamonds.ingestFile(file.path, 'upload', upload.filename);
      this.logger.log(
        `Upload ${upload.filename} (${file.bytes} bytes): ${report.outcome}, ${report.accepted} accepted, ${report.rejected} rejected`,
      );
      return report;
    } catch (err) {
      if (err instanceof FileRefusedError)
        throw new DomainError(ErrorCode.FileRefused, `${upload.filename} refused: ${err.message}`, [
          { field: 'body', rules: { isDiamondCsv: err.message }, value: upload.filename },
        ]);
      throw err;
    } finally {
      // The rows and the file's sha256 are in the database; the temp copy has served.
      await file.remove();
    }
  }

  retract(batchId: number, reason: string, actor: string): Promise<BatchRetractionEntity> {
    return this.diamonds.retractBatch(batchId, reason, actor);
  }

  restore(batchId: number, actor: string): Promise<BatchRetractionEntity> {
    return this.diamonds.restoreBatch(batchId, actor);
  }

  accept(batchId: number, actor: string): Promise<IngestionBatchEntity> {
    return this.diamonds.acceptBatch(batchId, actor);
  }

  retractions(): Promise<BatchRetractionEntity[]> {
    return this.diamonds.retractions();
  }

  batches(): Promise<IngestionBatchEntity[]> {
    return this.diamonds.listBatches();
  }

  async rejectedRows(batchId: number, limit: number): Promise<RejectedRowEntity[]> {
    const batches = await this.diamonds.listBatches();
    if (!batches.some((b) => b.id === batchId))
      throw new DomainError(ErrorCode.NotFound, `No ingestion batch ${batchId}`);
    return this.diamonds.rejectedRows(batchId, limit);
  }
}
