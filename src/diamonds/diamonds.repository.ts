import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull, Not, QueryFailedError } from 'typeorm';
import type { AcceptedRow, CsvRow, RejectedRow } from './csv-reader';
import { BatchRetractionEntity } from './entities/batch-retraction.entity';
import { DiamondEntity } from './entities/diamond.entity';
import { IngestionBatchEntity, IngestionSource } from './entities/ingestion-batch.entity';
import { RejectedRowEntity } from './entities/rejected-row.entity';

const CHUNK = 500;

/** The only place that reads and writes the diamond store's tables. */
@Injectable()
export class DiamondsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  findBatchBySha(sha256: string): Promise<IngestionBatchEntity | null> {
    return this.dataSource.getRepository(IngestionBatchEntity).findOneBy({ sha256 });
  }

  /**
   * Stores a batch and its rows, as they stream in, in one transaction: all or nothing (a file
   * refused halfway leaves no trace). Rows are inserted CHUNK at a time, so memory stays bounded.
   * Returns the batch and its first `keep` rejections.
   */
  async saveBatch(
    meta: { sourceName: string; sourceKind: IngestionSource; sha256: string; sizeBytes: number },
    rows: AsyncIterable<CsvRow> | Iterable<CsvRow>,
    keep = 20,
  ): Promise<{ batch: IngestionBatchEntity; firstRejections: RejectedRow[] }> {
    return this.dataSource.transaction(async (manager) => {
      const batch = await manager.getRepository(IngestionBatchEntity).save({
        ...meta,
        acceptedCount: 0,
        rejectedCount: 0,
      });
      const firstRejections: RejectedRow[] = [];
      let accepted: AcceptedRow[] = [];
      let rejected: RejectedRow[] = [];
      const flushAccepted = async () => {
        if (accepted.length === 0) return;
        const values = accepted.map((r) => ({
          batchId: batch.id,
          lineNumber: r.lineNumber,
          ...r.diamond,
        }));
        batch.acceptedCount += accepted.length;
        accepted = [];
        await manager
          .createQueryBuilder()
          .insert()
          .into(DiamondEntity)
          .values(values)
          .updateEntity(false)
          .execute();
      };
      const flushRejected = async () => {
        if (rejected.length === 0) return;
        const values = rejected.map((r) => ({ batchId: batch.id, ...r }));
        batch.rejectedCount += rejected.length;
        rejected = [];
        await manager
          .createQueryBuilder()
          .insert()
          .into(RejectedRowEntity)
          .values(values)
          .updateEntity(false)
          .execute();
      };
      for await (const row of rows) {
        if ('accepted' in row) {
          accepted.push(row.accepted);
          if (accepted.length >= CHUNK) await flushAccepted();
        } else {
          if (firstRejections.length < keep) firstRejections.push(row.rejected);
          rejected.push(row.rejected);
          if (rejected.length >= CHUNK) await flushRejected();
        }
      }
      await flushAccepted();
      await flushRejected();
      await manager.getRepository(IngestionBatchEntity).update(batch.id, {
        acceptedCount: batch.acceptedCount,
        rejectedCount: batch.rejectedCount,
      });
      return { batch, firstRejections };
    });
  }

  static isUniqueViolation(err: unknown): boolean {
    if (!(err instanceof QueryFailedError)) return false;
    const e = err as QueryFailedError & { code?: string; driverError?: { code?: string } };
    const code = e.driverError?.code ?? e.code;
    return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
  }

  countBatches(): Promise<number> {
    return this.dataSource.getRepository(IngestionBatchEntity).count();
  }

  listBatches(): Promise<IngestionBatchEntity[]> {
    return this.dataSource.getRepository(IngestionBatchEntity).find({ order: { id: 'ASC' } });
  }

  rejectedRows(batchId: number, limit = 1000): Promise<RejectedRowEntity[]> {
    return this.dataSource
      .getRepository(RejectedRowEntity)
      .find({ where: { batchId }, order: { lineNumber: 'ASC' }, take: limit });
  }

  /** Batches whose rows are in the dataset (neither retracted nor held), oldest first. */
  activeBatches(): Promise<IngestionBatchEntity[]> {
    return this.dataSource
      .getRepository(IngestionBatchEntity)
      .find({ where: { retractedAt: IsNull(), heldAt: IsNull() }, order: { id: 'ASC' } });
  }

  /**
   * Every accepted diamond of a batch in the dataset, in a stable order (batch, then line); only
   * those of `batchIds` when given.
   */
  allDiamonds(batchIds?: number[]): Promise<DiamondEntity[]> {
    const query = this.activeDiamonds();
    if (batchIds) query.andWhere('d.batchId IN (:...ids)', { ids: [...batchIds, -1] });
    return query.orderBy('d.batchId', 'ASC').addOrderBy('d.lineNumber', 'ASC').getMany();
  }

  /** The accepted rows of some batches, in batch and line order. */
  diamondsOfBatches(batchIds: number[]): Promise<DiamondEntity[]> {
    if (batchIds.length === 0) return Promise.resolve([]);
    return this.dataSource.getRepository(DiamondEntity).find({
      where: { batchId: In(batchIds) },
      order: { batchId: 'ASC', lineNumber: 'ASC' },
    });
  }

  countDiamonds(): Promise<number> {
    return this.activeDiamonds().getCount();
  }

  private activeDiamonds() {
    return this.dataSource
      .getRepository(DiamondEntity)
      .createQueryBuilder('d')
      .innerJoin(
        IngestionBatchEntity,
        'b',
        'b.id = d.batchId AND b.retractedAt IS NULL AND b.heldAt IS NULL',
      );
  }

  /**
   * A cheap version number of the dataset: highest batch id plus the number of retractions, of
   * restorations, of holds and of acceptances. All only grow, so any ingestion, retraction, hold or acceptance
   * changes it (0 when empty).
   */
  async datasetVersion(): Promise<number> {
    const batches = this.dataSource.getRepository(IngestionBatchEntity);
    const ledger = this.dataSource.getRepository(BatchRetractionEntity);
    const [batch, retractions, restorations, holds, acceptances] = await Promise.all([
      batches
        .createQueryBuilder('b')
        .select('MAX(b.id)', 'max')
        .getRawOne<{ max: number | string | null }>(),
      ledger.count(),
      ledger.count({ where: { restoredAt: Not(IsNull()) } }),
      batches.count({ where: { holdReason: Not(IsNull()) } }),
      batches.count({ where: { acceptedAt: Not(IsNull()) } }),
    ]);
    return Number(batch?.max ?? 0) + retractions + restorations + holds + acceptances;
  }

  /** Holds a batch in the dataset (not retracted, not held): false when it was not. */
  async hold(batchId: number, reason: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(IngestionBatchEntity)
      .set({ heldAt: new Date(), holdReason: reason })
      .where('id = :id AND retracted_at IS NULL AND held_at IS NULL AND accepted_at IS NULL', {
        id: batchId,
      })
      .execute();
    return Boolean(result.affected);
  }

  /** Accepts a held batch (not retracted) into the dataset: false when it was not held. */
  async accept(batchId: number, actor: string): Promise<boolean> {
    const result = await this.dataSource
      .createQueryBuilder()
      .update(IngestionBatchEntity)
      .set({ heldAt: null, acceptedAt: new Date(), acceptedBy: actor })
      .where('id = :id AND retracted_at IS NULL AND held_at IS NOT NULL', { id: batchId })
      .execute();
    return Boolean(result.affected);
  }

  findBatch(id: number): Promise<IngestionBatchEntity | null> {
    return this.dataSource.getRepository(IngestionBatchEntity).findOneBy({ id });
  }

  /**
   * Takes a batch's rows out of the dataset (they stay stored) and writes the ledger entry, in one
   * transaction. Null when the batch was already retracted (by this call's rival, too).
   */
  async retract(
    batch: IngestionBatchEntity,
    reason: string,
    actor: string,
  ): Promise<BatchRetractionEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(IngestionBatchEntity)
        .set({ retractedAt: new Date() })
        .where('id = :id AND retracted_at IS NULL', { id: batch.id })
        .execute();
      if (!result.affected) return null;
      return manager
        .getRepository(BatchRetractionEntity)
        .save({ batchId: batch.id, reason, actor, rowsRemoved: batch.acceptedCount });
    });
  }

  /**
   * Puts a retracted batch back into the dataset and marks its open ledger entry restored, in
   * one transaction. Null when the batch was not retracted.
   */
  async restore(batch: IngestionBatchEntity, actor: string): Promise<BatchRetractionEntity | null> {
    return this.dataSource.transaction(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(IngestionBatchEntity)
        .set({ retractedAt: null })
        .where('id = :id AND retracted_at IS NOT NULL', { id: batch.id })
        .execute();
      if (!result.affected) return null;
      const ledger = manager.getRepository(BatchRetractionEntity);
      const entry = await ledger.findOne({
        where: { batchId: batch.id, restoredAt: IsNull() },
        order: { id: 'DESC' },
      });
      if (!entry) return null;
      entry.restoredAt = new Date();
      entry.restoredBy = actor;
      return ledger.save(entry);
    });
  }

  retractions(): Promise<BatchRetractionEntity[]> {
    return this.dataSource.getRepository(BatchRetractionEntity).find({ order: { id: 'DESC' } });
  }
}
