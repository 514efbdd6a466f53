import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../config/app-config';
import { DiamondsService } from './diamonds.service';

/** On first start (empty store) ingests the bundled data/diamonds.csv. */
@Injectable()
export class BundledDatasetService implements OnApplicationBootstrap {
  private readonly logger = new Logger(BundledDatasetService.name);

  constructor(
    private readonly config: AppConfig,
    private readonly diamonds: DiamondsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.SEED_ON_START) return;
    if (!(await this.diamonds.isEmpty())) return;
    const path = join(this.config.DATA_DIR, 'diamonds.csv');
    if (!existsSync(path)) {
      this.logger.warn(`The store is empty and ${path} does not exist: nothing to seed`);
      return;
    }
    const report = await this.diamonds.ingestFile(path, 'bundled', 'diamonds.csv (bundled)');
    this.logger.log(
      `Seeded the store from ${path}: ${report.accepted} accepted, ${report.rejected} rejected`,
    );
  }
}
