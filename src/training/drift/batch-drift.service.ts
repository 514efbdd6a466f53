import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { DiamondsService } from '../../diamonds/diamonds.service';
import { batchStatus, BatchStatus } from '../../diamonds/entities/ingestion-batch.entity';
import { PerBatchJob } from '../per-batch-job';
import { RunDriftFlags } from '../training-run.entity';
import { RegistryService } from '../../registry/registry.service';
import { BatchDriftEntity } from './batch-drift.entity';
import { BatchDriftRepository } from './batch-drift.repository';
import { DriftCalculator, MIN_DRIFT_ROWS } from './drift.calculator';

/**
 * Compares every ingested batch with the rows the default champion trained on (its lineage's
 * batches), as soon as it is ingested, and hands the drifted ones to the next training run.
 */
@Injectable()
export class BatchDriftService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchDriftService.name);
  private readonly job = new PerBatchJob<BatchDriftEntity | null>({
    logger: this.logger,
    failure: 'assess the drift of',
    work: (batchId) => this.compute(batchId),
    recorded: (batchIds) => this.repository.assessedBatchIds(batchIds),
  });

  constructor(
    private readonly config: AppConfig,
    private readonly diamonds: DiamondsService,
    private readonly registry: RegistryService,
    private readonly repository: BatchDriftRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.job.listen(this.diamonds.datasetChanged$);
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }

  /** The batch's drift record (assessed now if it was not yet); null when there is nothing to compare with. */
  assess(batchId: number): Promise<BatchDriftEntity | null> {
    return this.job.run(batchId);
  }

  find(batchId: number): Promise<BatchDriftEntity | null> {
    return this.repository.findByBatch(batchId);
  }

  /** The latest drift records with each batch's place in the dataset (active, held, retracted). */
  async latestWithStatus(
    limit: number,
  ): Promise<{ drift: BatchDriftEntity; status: BatchStatus }[]> {
    const [records, batches] = await Promise.all([
      this.repository.latest(limit),
      this.diamonds.listBatches(),
    ]);
    const status = new Map(batches.map((b) => [b.id, batchStatus(b)]));
    return records.map((drift) => ({ drift, status: status.get(drift.batchId) ?? 'active' }));
  }

  async batchStatus(batchId: number): Promise<BatchStatus> {
    const batch = await this.diamonds.findBatch(batchId);
    return batch ? batchStatus(batch) : 'active';
  }

  /**
   * For a training run: assesses the batches not assessed yet (ingested by another process, or
   * while no champion existed), then flags, once, every drifted batch no earlier run flagged.
   */
  async flagForRun(batchIds: number[], runId: number): Promise<RunDriftFlags> {
    await this.job.catchUp(batchIds);
    const drifted = (await this.repository.unflaggedDrifted()).filter((d) =>
      batchIds.includes(d.batchId),
    );
    await this.repository.markFlagged(
      drifted.map((d) => d.batchId),
      runId,
    );
    for (const d of drifted)
      this.logger.warn(
        `Run ${runId}: batch ${d.batchId} drifted from ${d.referenceFamily} v${d.referenceVersion}'s training data ` +
          `(PSI ${d.maxPsi.toFixed(3)} on ${d.report.maxPsiFeature} > ${d.threshold}; ${(d.outsideShare * 100).toFixed(1)} % of rows outside the trained range)`,
      );
    return {
      threshold: this.config.DRIFT_PSI_THRESHOLD,
      flagged: drifted.map((d) => ({
        batchId: d.batchId,
        maxPsi: d.maxPsi,
        maxPsiFeature: d.report.maxPsiFeature,
        outsideShare: d.outsideShare,
      })),
    };
  }

  private async compute(batchId: number): Promise<BatchDriftEntity | null> {
    const existing = await this.repository.findByBatch(batchId);
    if (existing) return existing;
    const champion = await this.registry.defaultChampion();
    if (!champion) return null;
    const version = await this.registry.getVersion(champion.family, champion.version);
    // A batch the champion trained on is its reference, not fresh data.
    if (version.lineage.batchIds.includes(batchId)) return null;
    const [reference, batch] = await Promise.all([
      this.diamonds.rowsOfBatches(version.lineage.batchIds),
      this.diamonds.rowsOfBatches([batchId]),
    ]);
    if (reference.length === 0 || batch.length === 0) return null;
    const report = DriftCalculator.compare(reference, batch);
    const threshold = this.config.DRIFT_PSI_THRESHOLD;
    const saved = await this.repository.insert({
      batchId,
      referenceFamily: champion.family,
      referenceVersion: champion.version,
      report,
      maxPsi: report.maxPsi,
      outsideShare: report.outsideShare,
      threshold,
      // A handful of rows cannot drift: too few to judge.
      drifted: !report.tooFewRows && report.maxPsi > threshold,
      flaggedRunId: null,
    });
    this.logger.log(
      `Batch ${batchId} against ${champion.family} v${champion.version}'s training data: largest PSI ${report.maxPsi.toFixed(3)} (${report.maxPsiFeature})${saved.drifted ? ' — drifted' : report.tooFewRows ? ` — too few rows to judge (${report.batchRows} < ${MIN_DRIFT_ROWS})` : ''}`,
    );
    return saved;
  }
}
