import { Module } from '@nestjs/common';
import { BundledDatasetService } from './bundled-dataset.service';
import { DatasetsController } from './datasets.controller';
import { DatasetsService } from './datasets.service';
import { DiamondsModule } from './diamonds.module';
import { SimilarDiamondsService } from './similar-diamonds.service';

/**
 * What the API server adds to the diamond store: the admin upload endpoint, the similar-diamonds
 * index (kept fresh by polling the dataset version), the bundled dataset seeded on first start.
 */
@Module({
  imports: [DiamondsModule],
  controllers: [DatasetsController],
  providers: [DatasetsService, SimilarDiamondsService, BundledDatasetService],
  exports: [DiamondsModule, SimilarDiamondsService],
})
export class DiamondsApiModule {}
