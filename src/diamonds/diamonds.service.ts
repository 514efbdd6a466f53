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
import { IngestionBatchEntity, IngestionSource } from './entities/ingestion-batch.entity';

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
  /** A duplicate's batch state, said in words when it matters (retracted or held); else null. */
  note: string | null;
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

/** What a re-uploaded file should know about its batch: retracted or held, and what to do. */
function duplicateNote(batch: IngestionBatchEntity): string | null {
  if (batch.retractedAt)
    return (
      `batch ${batch.id} is retracted (its rows are out of the dataset); to bring it back, ` +
      `POST /v1/admin/datasets/${batch.id}/restore`
    );
  if (batch.heldAt)
    return (
      `batch ${batch.id} is held out of training (${batch.holdReason ?? 'price check'}); ` +
      `POST /v1/admin/datasets/${batch.id}/accept to train on it, or .../retract to drop it`
    );
  return null;
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
    if (existing) return this.duplicate(existing, sourceName, sha256);
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
        if (again) return this.duplicate(again, sourceName, sha256);
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
      note: null,
    };
  }

  private duplicate(
    batch: IngestionBatchEntity,
    sourceName: string,
    sha256: string,
  ): IngestionReport {
    const note = duplicateNote(batch);
    this.logger.log(
      `${sourceName} was already ingested as batch ${batch.id} (same sha256): nothing added${note ? `; ${note}` : ''}`,
    );
    return {
      outcome: 'duplicate',
      batchId: batch.id,
      sourceName,
      sha256,
      accepted: 0,
      rejected: 0,
      rejections: [],
      note,
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

  /**
   * Puts a batch back into the dataset after a retraction: its stored rows return to the next
   * snapshot and the index; the ledger entry stays, marked restored.
   */
  async restoreBatch(batchId: number, actor: string) {
    const batch = await this.repository.findBatch(batchId);
    if (!batch) throw new DomainError(ErrorCode.NotFound, `No ingestion batch ${batchId}`);
    const entry = await this.repository.restore(batch, actor);
    if (!entry)
      throw new DomainError(ErrorCode.Conflict, `Batch ${batchId} is not retracted`, [
        { field: 'batchId', rules: { retracted: `batch ${batchId} is not retracted` } },
      ]);
    this.logger.warn(
      `Batch ${batchId} (${batch.sourceName}) restored by ${actor}: ${batch.acceptedCount} rows back in the dataset`,
    );
    this.datasetChanged$.next(batchId);
    return entry;
  }

  /**
   * Holds a batch out of the dataset (its rows stay stored) until it is accepted; the caller (the
   * training module's price check) gives the reason. False when it was retracted, held or
   * accepted already.
   */
  async holdBatch(batchId: number, reason: string): Promise<boolean> {
    const held = await this.repository.hold(batchId, reason);
    if (held) {
      this.logger.warn(`Batch ${batchId} held out of the dataset: ${reason}`);
      this.datasetChanged$.next(batchId);
    }
    return held;
  }

  /** Accepts a held batch into the dataset. 404 unknown, 409 when it is not held or is retracted. */
  async acceptBatch(batchId: number, actor: string): Promise<IngestionBatchEntity> {
    const batch = await this.repository.findBatch(batchId);
    if (!batch) throw new DomainError(ErrorCode.NotFound, `No ingestion batch ${batchId}`);
    if (!(await this.repository.accept(batchId, actor))) {
      const why = batch.retractedAt
        ? `batch ${batchId} is retracted; restore it first (POST /v1/admin/datasets/${batchId}/restore)`
        : `batch ${batchId} is not held (${batch.acceptedAt ? 'accepted already' : 'its rows are in the dataset'})`;
      throw new DomainError(ErrorCode.Conflict, `Only a held batch can be accepted: ${why}`, [
        { field: 'batchId', rules: { held: why }, value: batchId },
      ]);
    }
    this.logger.warn(`Held batch ${batchId} (${batch.sourceName}) accepted by ${actor}`);
    this.datasetChanged$.next(batchId);
    return (await this.repository.findBatch(batchId))!;
  }

  findBatch(batchId: number): Promise<IngestionBatchEntity | null> {
    return this.repository.findBatch(batchId);
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

  /** Ids of the batches in the dataset now (neither retracted nor held), oldest first. */
  async activeBatchIds(): Promise<number[]> {
    return (await this.repository.activeBatches()).map((b) => b.id);
  }

  /**
   * The whole current dataset with its lineage, in a stable order; only the batches of `batchIds`
   * among them when given (a training run: the batches it checked).
   */
  async snapshot(batchIds?: number[]): Promise<DatasetSnapshot> {
    const only = batchIds ? new Set(batchIds) : null;
    const [active, diamonds] = await Promise.all([
      this.repository.activeBatches(),
      this.repository.allDiamonds(batchIds),
    ]);
    const batches = only ? active.filter((b) => only.has(b.id)) : active;
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
