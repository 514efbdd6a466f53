import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { Subject } from 'rxjs';
import { FileRefusedError, readDiamondsCsv } from './csv-reader';
import { PricedDiamond } from './diamond-vocabulary';
import { DiamondsRepository } from './diamonds.repository';
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
  rows: (PricedDiamond & { id: number })[];
  batchIds: number[];
  rowCount: number;
  /** sha256 over the ingested files' sha256s, in batch order: names the exact data a model saw. */
  contentHash: string;
}

export { FileRefusedError };

/** Ingests CSV files into the diamond store and serves the current dataset. */
@Injectable()
export class DiamondsService {
  private readonly logger = new Logger(DiamondsService.name);
  /** Emits after every ingestion that added rows (the similar-diamonds index listens). */
  readonly datasetChanged$ = new Subject<number>();

  constructor(private readonly repository: DiamondsRepository) {}

  /** Ingests one file. Throws FileRefusedError when the file is refused as a whole. */
  async ingestFile(
    path: string,
    sourceKind: IngestionSource,
    sourceName = basename(path),
  ): Promise<IngestionReport> {
    const parsed = await readDiamondsCsv(path);
    const existing = await this.repository.findBatchBySha(parsed.sha256);
    if (existing) return this.duplicate(existing.id, sourceName, parsed.sha256);
    let batchId: number;
    try {
      const batch = await this.repository.saveBatch(
        { sourceName, sourceKind, sha256: parsed.sha256, sizeBytes: parsed.sizeBytes },
        parsed.accepted,
        parsed.rejected,
      );
      batchId = batch.id;
    } catch (err) {
      // Another caller ingested the same file between our check and our insert.
      if (DiamondsRepository.isUniqueViolation(err)) {
        const again = await this.repository.findBatchBySha(parsed.sha256);
        if (again) return this.duplicate(again.id, sourceName, parsed.sha256);
      }
      throw err;
    }
    this.logger.log(
      `Ingested ${sourceName}: ${parsed.accepted.length} accepted, ${parsed.rejected.length} rejected (batch ${batchId})`,
    );
    this.datasetChanged$.next(batchId);
    return {
      outcome: 'ingested',
      batchId,
      sourceName,
      sha256: parsed.sha256,
      accepted: parsed.accepted.length,
      rejected: parsed.rejected.length,
      rejections: parsed.rejected.slice(0, 20),
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

  latestBatchId(): Promise<number> {
    return this.repository.latestBatchId();
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
    return (await this.repository.diamondsOfBatches(batchIds)).map((d) => ({
      carat: d.carat,
      cut: d.cut,
      color: d.color,
      clarity: d.clarity,
      depth: d.depth,
      table: d.table,
      price: d.price,
      x: d.x,
      y: d.y,
      z: d.z,
    }));
  }

  /** The whole current dataset with its lineage, in a stable order. */
  async snapshot(): Promise<DatasetSnapshot> {
    const [batches, diamonds] = await Promise.all([
      this.repository.listBatches(),
      this.repository.allDiamonds(),
    ]);
    const hash = createHash('sha256');
    for (const b of batches) hash.update(`${b.id}:${b.sha256}\n`);
    return {
      rows: diamonds.map((d) => ({
        id: d.id,
        carat: d.carat,
        cut: d.cut,
        color: d.color,
        clarity: d.clarity,
        depth: d.depth,
        table: d.table,
        price: d.price,
        x: d.x,
        y: d.y,
        z: d.z,
      })),
      batchIds: batches.map((b) => b.id),
      rowCount: diamonds.length,
      contentHash: hash.digest('hex'),
    };
  }
}
