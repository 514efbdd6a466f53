import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DiamondsRepository } from './diamonds.repository';
import { DiamondsService } from './diamonds.service';
import { DropFolderService } from './drop-folder.service';
import { DiamondEntity } from './entities/diamond.entity';
import { BatchRetractionEntity } from './entities/batch-retraction.entity';
import { IngestionBatchEntity } from './entities/ingestion-batch.entity';
import { RejectedRowEntity } from './entities/rejected-row.entity';

/**
 * The diamond data store: vocabulary, CSV ingestion, drop folder, dataset snapshots. What the
 * API server adds (the upload endpoint, the similar-diamonds index, the first-start seed) is
 * DiamondsApiModule; the command line uses this module alone.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      DiamondEntity,
      IngestionBatchEntity,
      RejectedRowEntity,
      BatchRetractionEntity,
    ]),
  ],
  providers: [DiamondsRepository, DiamondsService, DropFolderService],
  exports: [DiamondsService, DropFolderService],
})
export class DiamondsModule {}
