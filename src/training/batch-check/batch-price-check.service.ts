import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { DiamondsService } from '../../diamonds/diamonds.service';
import { PriceRangeCalculator } from '../../model-runtime/evaluation/price-range';
import { clampToBand, priceBand } from '../../model-runtime/evaluation/training-ranges';
import type { FittedModel } from '../../model-runtime/model-family';
import { RegistryService } from '../../registry/registry.service';
import { PerBatchJob } from '../per-batch-job';
import type { RunHeldBatch } from '../training-run.entity';
import { BatchPriceCheckEntity } from './batch-price-check.entity';
import { BatchPriceCheckRepository } from './batch-price-check.repository';
import { CHECK_LEVEL, checkBatchAgainstChampion } from './batch-price-check';

type NewCheck = Omit<BatchPriceCheckEntity, 'createdAt'>;

/**
 * Checks every fresh batch's prices against the default champion (its served prices and its
 * calibrated 90 % range) once: at ingestion (listening to `datasetChanged$`), and at the start of
 * a training run for any batch not checked yet (ingested by another process). A batch the check
 * holds leaves the dataset (DiamondsService.holdBatch) until an admin accepts or retracts it.
 */
@Injectable()
export class BatchPriceCheckService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(BatchPriceCheckService.name);
  private readonly job = new PerBatchJob<BatchPriceCheckEntity | null>({
    logger: this.logger,
    failure: 'check the prices of',
    work: (batchId) => this.compute(batchId),
    recorded: async (batchIds) =>
      (await this.repository.findByBatches(batchIds)).map((c) => c.batchId),
  });

  constructor(
    private readonly diamonds: DiamondsService,
    private readonly registry: RegistryService,
    private readonly repository: BatchPriceCheckRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.job.listen(this.diamonds.datasetChanged$);
  }

  onModuleDestroy(): Promise<void> {
    return this.job.stop();
  }

  find(batchId: number): Promise<BatchPriceCheckEntity | null> {
    return this.repository.findByBatch(batchId);
  }

  /** The batch's check record, made now if it has none; null for an unknown or retracted batch. */
  check(batchId: number): Promise<BatchPriceCheckEntity | null> {
    return this.job.run(batchId);
  }

  /**
   * For a training run: checks the batches of `batchIds` not checked yet, then lists every batch
   * held now (this run's and earlier ones still waiting for an admin) with its reason and figures.
   */
  async checkForRun(batchIds: number[]): Promise<RunHeldBatch[]> {
    await this.job.catchUp(batchIds);
    const held = (await this.diamonds.listBatches()).filter((b) => b.heldAt && !b.retractedAt);
    const records = new Map(
      (await this.repository.findByBatches(held.map((b) => b.id))).map((c) => [c.batchId, c]),
    );
    return held.map((b) => {
      const c = records.get(b.id);
      return {
        batchId: b.id,
        reason: b.holdReason ?? c?.reason ?? 'held',
        rows: c?.batchRows ?? b.acceptedCount,
        judgedRows: c?.judgedRows ?? 0,
        outsideShare: c?.outsideShare ?? null,
        medianLogRatio: c?.medianLogRatio ?? null,
      };
    });
  }

  private async compute(batchId: number): Promise<BatchPriceCheckEntity | null> {
    const existing = await this.repository.findByBatch(batchId);
    if (existing) return existing;
    const batch = await this.diamonds.findBatch(batchId);
    if (!batch || batch.retractedAt) return null;
    const unchecked = (reason: string, reference?: { family: string; version: number }) =>
      this.save({
        batchId,
        verdict: 'not-checked',
        referenceFamily: reference?.family ?? null,
        referenceVersion: reference?.version ?? null,
        batchRows: batch.acceptedCount,
        judgedRows: 0,
        outsideShare: null,
        medianLogRatio: null,
        rangeLogHalfWidth: null,
        reason,
      });
    const champion = await this.registry.defaultChampion();
    if (!champion)
      return unchecked(
        'not checked: no champion yet (first start); its rows are trained on as they are',
      );
    const ref = { family: champion.family, version: champion.version };
    const name = `${champion.family} v${champion.version}`;
    const entity = await this.registry.getVersion(champion.family, champion.version);
    if (entity.lineage.batchIds.includes(batchId))
      return unchecked(`not checked: the champion ${name} was trained on it`, ref);
    if (!champion.calibration)
      return unchecked(`not checked: the champion ${name} has no range calibration`, ref);
    const q = PriceRangeCalculator.quantileAt(champion.calibration, CHECK_LEVEL);
    const rows = await this.diamonds.rowsOfBatches([batchId]);
    let model: FittedModel | undefined;
    let predicted: number[];
    try {
      model = await this.registry.loadModel(champion);
      const ranges = champion.trainingRanges;
      // The prices the champion serves: held in its band like every answer of the API.
      predicted = (await model.predict(rows)).map((p) =>
        ranges ? clampToBand(p, priceBand(ranges)).price : p,
      );
    } catch (err) {
      return unchecked(
        `not checked: the champion ${name} could not price it (${(err as Error).message})`,
        ref,
      );
    } finally {
      model?.dispose();
    }
    const result = checkBatchAgainstChampion(rows, predicted, q, champion.trainingRanges ?? null);
    const saved = await this.save({
      batchId,
      verdict: result.verdict,
      referenceFamily: champion.family,
      referenceVersion: champion.version,
      batchRows: result.batchRows,
      judgedRows: result.rows,
      outsideShare: result.outsideShare,
      medianLogRatio: result.medianLogRatio,
      rangeLogHalfWidth: q,
      reason: `${result.reason}; against ${name}`,
    });
    if (saved.verdict === 'held') await this.diamonds.holdBatch(batchId, saved.reason);
    return saved;
  }

  private async save(check: NewCheck): Promise<BatchPriceCheckEntity> {
    const saved = await this.repository.insert(check);
    const log = `Batch ${check.batchId} price check: ${saved.reason}`;
    if (saved.verdict === 'held') this.logger.warn(log);
    else this.logger.log(log);
    return saved;
  }
}
