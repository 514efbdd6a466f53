import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BundledDatasetService } from './bundled-dataset.service';
import { DiamondsRepository } from './diamonds.repository';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';
import { DiamondsService } from './diamonds.service';
import { DropFolderService } from './drop-folder.service';
import { DiamondEntity } from './entities/diamond.entity';
import { BatchRetractionEntity } from './entities/batch-retraction.entity';
import { IngestionBatchEntity } from './entities/ingestion-batch.entity';
import { RejectedRowEntity } from './entities/rejected-row.entity';
import { SimilarDiamondsService } from './similar-diamonds.service';

/** The diamond data store: vocabulary, CSV ingestion, drop folder, dataset snapshots, similar-diamonds index. */
@Module({
  imports: [
    TypeOrmModule.forFeature([
      DiamondEntity,
      IngestionBatchEntity,
      RejectedRowEntity,
      BatchRetractionEntity,
    ]),
  ],
  controllers: [DatasetsController],
  providers: [
    DiamondsRepository,
    DiamondsService,
    DatasetsService,
    DropFolderService,
    SimilarDiamondsService,
    BundledDatasetService,
  ],
  exports: [DiamondsService, DropFolderService, SimilarDiamondsService],
})
export class DiamondsModule {}
