import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import type { AcceptedRow, RejectedRow } from './csv-reader';
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

  /** Stores a batch, its accepted and its rejected rows in one transaction: all or nothing. */
  async saveBatch(
    meta: { sourceName: string; sourceKind: IngestionSource; sha256: string; sizeBytes: number },
    accepted: readonly AcceptedRow[],
    rejected: readonly RejectedRow[],
  ): Promise<IngestionBatchEntity> {
    return this.dataSource.transaction(async (manager) => {
      const batch = await manager.getRepository(IngestionBatchEntity).save({
        ...meta,
        acceptedCount: accepted.length,
        rejectedCount: rejected.length,
      });
      for (let i = 0; i < accepted.length; i += CHUNK) {
        const values = accepted
          .slice(i, i + CHUNK)
          .map((r) => ({ batchId: batch.id, lineNumber: r.lineNumber, ...r.diamond }));
        await manager
          .createQueryBuilder()
          .insert()
          .into(DiamondEntity)
          .values(values)
          .updateEntity(false)
          .execute();
      }
      for (let i = 0; i < rejected.length; i += CHUNK) {
        const values = rejected.slice(i, i + CHUNK).map((r) => ({ batchId: batch.id, ...r }));
        await manager
          .createQueryBuilder()
          .insert()
          .into(RejectedRowEntity)
          .values(values)
          .updateEntity(false)
          .execute();
      }
      return batch;
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

  /** Every accepted diamond in a stable order (batch, then line). */
  allDiamonds(): Promise<DiamondEntity[]> {
    return this.dataSource
      .getRepository(DiamondEntity)
      .find({ order: { batchId: 'ASC', lineNumber: 'ASC' } });
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
    return this.dataSource.getRepository(DiamondEntity).count();
  }

  /** Highest batch id: a cheap version number of the dataset (0 when empty). */
  async latestBatchId(): Promise<number> {
    const row = await this.dataSource
      .getRepository(IngestionBatchEntity)
      .createQueryBuilder('b')
      .select('MAX(b.id)', 'max')
      .getRawOne<{ max: number | string | null }>();
    return Number(row?.max ?? 0);
  }
}
