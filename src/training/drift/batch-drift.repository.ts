import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In, IsNull } from 'typeorm';
import { insertOrKeep } from '../../database/insert-or-keep';
import { BatchDriftEntity } from './batch-drift.entity';

/** The only place that touches the batch_drift table. */
@Injectable()
export class BatchDriftRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(BatchDriftEntity);
  }

  findByBatch(batchId: number): Promise<BatchDriftEntity | null> {
    return this.repo.findOneBy({ batchId });
  }

  async assessedBatchIds(batchIds: number[]): Promise<Set<number>> {
    if (batchIds.length === 0) return new Set();
    const rows = await this.repo.find({
      select: { batchId: true },
      where: { batchId: In(batchIds) },
    });
    return new Set(rows.map((r) => r.batchId));
  }

  /** Inserts, or keeps the existing record when another caller assessed the batch first. */
  insert(entity: Omit<BatchDriftEntity, 'createdAt'>): Promise<BatchDriftEntity> {
    return insertOrKeep(
      () => this.repo.insert(entity),
      () => this.findByBatch(entity.batchId),
    );
  }

  /** Drifted batches no run has flagged yet, oldest first. */
  unflaggedDrifted(): Promise<BatchDriftEntity[]> {
    return this.repo.find({
      where: { drifted: true, flaggedRunId: IsNull() },
      order: { batchId: 'ASC' },
    });
  }

  async markFlagged(batchIds: number[], runId: number): Promise<void> {
    if (batchIds.length === 0) return;
    await this.repo.update({ batchId: In(batchIds) }, { flaggedRunId: runId });
  }

  latest(limit: number): Promise<BatchDriftEntity[]> {
    return this.repo.find({ order: { batchId: 'DESC' }, take: limit });
  }
}
