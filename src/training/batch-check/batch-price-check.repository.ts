import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, In } from 'typeorm';
import { insertOrKeep } from '../../database/insert-or-keep';
import { BatchPriceCheckEntity } from './batch-price-check.entity';

/** The only place that touches the batch_price_check table. */
@Injectable()
export class BatchPriceCheckRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private get repo() {
    return this.dataSource.getRepository(BatchPriceCheckEntity);
  }

  findByBatch(batchId: number): Promise<BatchPriceCheckEntity | null> {
    return this.repo.findOneBy({ batchId });
  }

  findByBatches(batchIds: number[]): Promise<BatchPriceCheckEntity[]> {
    if (batchIds.length === 0) return Promise.resolve([]);
    return this.repo.find({ where: { batchId: In(batchIds) }, order: { batchId: 'ASC' } });
  }

  /** Inserts, or keeps the existing record when another caller checked the batch first. */
  insert(entity: Omit<BatchPriceCheckEntity, 'createdAt'>): Promise<BatchPriceCheckEntity> {
    return insertOrKeep(
      () => this.repo.insert(entity),
      () => this.findByBatch(entity.batchId),
    );
  }
}
