import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Subject } from 'rxjs';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { inspectCsvFile, readDiamondRows } from './csv-reader';
import { PricedDiamond } from './diamond-vocabulary';
import { DiamondsRepository } from './diamonds.repository';
import { DiamondEntity } from './entities/diamond.entity';
import { IngestionSource } from './entities/ingestion-batch.entity';

export interface IngestionReport {
  /** 'ingested': stored; 'duplicate': the same file (sha256) was ingested before, nothing added. */
  outcome: 'ingested' | 'duplicate';
  batchId: number;
  sourceName: string;
  sha256: string;
  accepted: number;
  rejected: number;
  /** The first rejections with their line and reasons (all of them are in the database). */
  rejections: { lineNumber: number; rawText: string; reasons: string[] }[];
}

export interface DatasetSnapshot {
  /** Every row of the active batches, with its id and the batch it came in. */
  rows: (PricedDiamond & { id: number; batchId: number })[];
  batchIds: number[];
  rowCount: number;
  /** sha256 over the ingested files' sha256s, in batch order: names the exact data a model saw. */
  contentHash: string;
}

/** A stored row as the pricing code sees it (no id, no batch). */
function toPricedDiamond(d: DiamondEntity): PricedDiamond {
  const { carat, cut, color, clarity, depth, table, price, x, y, z } = d;
  return { carat, cut, color, clarity, depth, table, price, x, y, z };
}

/** Rejections listed in an ingestion report (all of them are in the database). */
const REPORTED_REJECTIONS = 20;

/** Ingests CSV files into the diamond store and serves the current dataset. */
@Injectable()
export class DiamondsService {
  private readonly logger = new Logger(DiamondsService.name);
  /** Emits after every ingestion that added rows (the similar-diamonds index listens). */
  readonly datasetChanged$ = new Subject<number>();

  constructor(
    private readonly repository: DiamondsRepository,
    private readonly config: AppConfig,
  ) {}

  /** Ingests one file. Throws FileRefusedError when the file is refused as a whole. */
  async ingestFile(
    path: string,
    sourceKind: IngestionSource,
    sourceName = basename(path),
  ): Promise<IngestionReport> {
    const { sha256, sizeBytes } = await inspectCsvFile(path);
    const existing = await this.repository.findBatchBySha(sha256);
    if (existing) return this.duplicate(existing.id, sourceName, sha256);
    const rules = { priceRange: { min: this.config.PRICE_MIN, max: this.config.PRICE_MAX } };
    let saved: Awaited<ReturnType<DiamondsRepository['saveBatch']>>;
    try {
      saved = await this.repository.saveBatch(
        { sourceName, sourceKind, sha256, sizeBytes },
        readDiamondRows(path, rules),
        REPORTED_REJECTIONS,
      );
    } catch (err) {
      // Another caller ingested the same file between our check and our insert.
      if (DiamondsRepository.isUniqueViolation(err)) {
        const again = await this.repository.findBatchBySha(sha256);
        if (again) return this.duplicate(again.id, sourceName, sha256);
      }
      throw err;
    }
    const { batch, firstRejections } = saved;
    this.logger.log(
      `Ingested ${sourceName}: ${batch.acceptedCount} accepted, ${batch.rejectedCount} rejected (batch ${batch.id})`,
    );
    this.datasetChanged$.next(batch.id);
    return {
      outcome: 'ingested',
      batchId: batch.id,
      sourceName,
      sha256,
      accepted: batch.acceptedCount,
      rejected: batch.rejectedCount,
      rejections: firstRejections,
    };
  }

  private duplicate(batchId: number, sourceName: string, sha256: string): IngestionReport {
    this.logger.log(
      `${sourceName} was already ingested as batch ${batchId} (same sha256): nothing added`,
    );
    return {
      outcome: 'duplicate',
      batchId,
      sourceName,
      sha256,
      accepted: 0,
      rejected: 0,
      rejections: [],
    };
  }

  async isEmpty(): Promise<boolean> {
    return (await this.repository.countBatches()) === 0;
  }

  /** Changes whenever a batch is ingested or retracted. */
  datasetVersion(): Promise<number> {
    return this.repository.datasetVersion();
  }

  /**
   * Retracts a batch: its rows leave the training set and the similar-diamonds index, stay
   * stored for the record, and the act is written to the retraction ledger.
   */
  async retractBatch(batchId: number, reason: string, actor: string) {
    const batch = await this.repository.findBatch(batchId);
    if (!batch) throw new DomainError(ErrorCode.NotFound, `No ingestion batch ${batchId}`);
    let entry: Awaited<ReturnType<DiamondsRepository['retract']>>;
    try {
      entry = await this.repository.retract(batch, reason, actor);
    } catch (err) {
      if (!DiamondsRepository.isUniqueViolation(err)) throw err;
      entry = null;
    }
    if (!entry)
      throw new DomainError(ErrorCode.Conflict, `Batch ${batchId} is already retracted`, [
        { field: 'batchId', rules: { notRetracted: `batch ${batchId} is already retracted` } },
      ]);
    this.logger.warn(
      `Batch ${batchId} (${batch.sourceName}) retracted by ${actor}: ${entry.rowsRemoved} rows left the dataset (${reason})`,
    );
    this.datasetChanged$.next(batchId);
    return entry;
  }

  retractions() {
    return this.repository.retractions();
  }

  countDiamonds(): Promise<number> {
    return this.repository.countDiamonds();
  }

  listBatches() {
    return this.repository.listBatches();
  }

  rejectedRows(batchId: number, limit?: number) {
    return this.repository.rejectedRows(batchId, limit);
  }

  /** The accepted rows of some batches (drift compares one batch with a model's training batches). */
  async rowsOfBatches(batchIds: number[]): Promise<PricedDiamond[]> {
    return (await this.repository.diamondsOfBatches(batchIds)).map(toPricedDiamond);
  }

  /** The whole current dataset with its lineage, in a stable order. */
  async snapshot(): Promise<DatasetSnapshot> {
    const [batches, diamonds] = await Promise.all([
      this.repository.activeBatches(),
      this.repository.allDiamonds(),
    ]);
    const hash = createHash('sha256');
    for (const b of batches) hash.update(`${b.id}:${b.sha256}\n`);
    return {
      rows: diamonds.map((d) => ({ id: d.id, batchId: d.batchId, ...toPricedDiamond(d) })),
      batchIds: batches.map((b) => b.id),
      rowCount: diamonds.length,
      contentHash: hash.digest('hex'),
    };
  }
}
