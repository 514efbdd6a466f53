import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { Subject } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondsService, DatasetSnapshot } from '../diamonds/diamonds.service';
import { DropFolderService } from '../diamonds/drop-folder.service';
import { PricedDiamond } from '../diamonds/diamond-vocabulary';
import { HeldLock } from '../database/advisory-lock';
import { ChampionComparison } from '../registry/model-catalog';
import { RegistryService } from '../registry/registry.service';
import { regressionMetrics } from '../model-runtime/evaluation';
import { computeTrainingRanges } from '../model-runtime/evaluation/training-ranges';
import { assessHoldout } from '../model-runtime/evaluation/holdout-assessment';
import { FittedModel, ModelFamily, TrainResult, TrialRecord } from '../model-runtime/model-family';
import { ModelFamilyRegistry } from '../model-runtime/model-runtime.module';
import { codeVersion } from './code-version';
import { BatchDriftService } from './drift/batch-drift.service';
import { SplitResult, stableHashSplit } from '../model-runtime/split';
import { RunOutcome, RunTrigger, TrainingRunEntity } from './training-run.entity';
import { TrainingRunRepository } from './training-run.repository';

export type { RunTrigger };

/**
 * Fits the parameters a search chose (result.params) on every row: the served artifact. Its
 * own metrics would be flattering; the pipeline keeps the split model's holdout figures.
 */
export async function refitOnAllRows(
  family: ModelFamily,
  result: TrainResult,
  rows: readonly PricedDiamond[],
  seed: number,
): Promise<TrainResult> {
  return family.train(rows, { seed, trials: 0, fixedParams: result.params });
}

export interface RunOptions {
  /** Search trials per searchable family (default SEARCH_TRIALS; FIRST_START_TRIALS on first start). */
  trials?: number;
  /** Families to train (default: all registered). */
  families?: string[];
  /** Skip the run when every champion was trained on the current data (the nightly job's rule). */
  onlyIfDataChanged?: boolean;
  actor?: string;
}

export interface TrainingProgress {
  runId: number;
  family: string;
  phase: 'search' | 'evaluate' | 'fit' | 'done';
  trial?: TrialRecord;
  trials: number;
}

type FamilyOutcome = RunOutcome;

const HOLDOUT_FRACTION = 0.2;
/** Fewer rows than this cannot make a meaningful holdout. */
export const MIN_TRAINING_ROWS = 50;

/**
 * The training pipeline. One run: ingest the drop folder → snapshot the dataset → split →
 * for each family: search + fit → evaluate on the holdout → register → promotion gate.
 * One run at a time (409 otherwise), across instances on PostgreSQL.
 */
@Injectable()
export class TrainingService implements OnApplicationShutdown {
  private readonly logger = new Logger(TrainingService.name);
  private readonly running = new Map<number, Promise<TrainingRunEntity>>();
  readonly progress$ = new Subject<TrainingProgress>();
  private readonly instance = `${hostname()}:${process.pid}`;

  constructor(
    private readonly config: AppConfig,
    private readonly registry: RegistryService,
    private readonly runs: TrainingRunRepository,
    private readonly families: ModelFamilyRegistry,
    private readonly diamonds: DiamondsService,
    private readonly dropFolder: DropFolderService,
    private readonly drift: BatchDriftService,
  ) {}

  /** Marks runs a crash left 'running' as failed, unless another instance is training now. */
  async recoverInterruptedRuns(): Promise<void> {
    const lock = await this.runs.tryLock();
    if (!lock) return;
    try {
      const n = await this.runs.failInterrupted();
      if (n > 0) this.logger.warn(`Marked ${n} interrupted training run(s) as failed`);
    } finally {
      await lock.release();
    }
  }

  /**
   * Starts a run in the background and returns its id at once.
   * Throws 409 (with the running run's id) when a run is already in progress anywhere.
   */
  async startRun(trigger: RunTrigger, options: RunOptions = {}): Promise<{ runId: number }> {
    const families = options.families ?? this.families.list().map((f) => f.name);
    for (const name of families) this.registry.assertFamily(name);
    const trials = options.trials ?? this.config.SEARCH_TRIALS;
    const lock = await this.runs.tryLock();
    if (!lock) {
      const running = await this.runs.findRunning();
      throw new DomainError(
        ErrorCode.Conflict,
        `A training run is already in progress${running ? ` (run ${running.id})` : ''}`,
        { runningRunId: running?.id ?? null },
      );
    }
    let run: TrainingRunEntity;
    try {
      run = await this.runs.create({
        trigger,
        status: 'running',
        startedAt: new Date(),
        finishedAt: null,
        trials,
        families,
        datasetHash: null,
        rowCount: null,
        outcomes: [],
        error: null,
        instance: this.instance,
      });
    } catch (err) {
      await lock.release();
      throw err;
    }
    const done = this.execute(run, families, trials, options, lock).finally(() =>
      this.running.delete(run.id),
    );
    this.running.set(run.id, done);
    return { runId: run.id };
  }

  /** Resolves with the finished run (any status). */
  async waitForRun(runId: number): Promise<TrainingRunEntity> {
    const inProcess = this.running.get(runId);
    if (inProcess) return inProcess;
    return this.getRun(runId);
  }

  async getRun(id: number): Promise<TrainingRunEntity> {
    const run = await this.runs.find(id);
    if (!run) throw new DomainError(ErrorCode.NotFound, `No training run ${id}`);
    return run;
  }

  /** The latest runs, newest first. */
  listRuns(limit: number): Promise<TrainingRunEntity[]> {
    return this.runs.list(limit);
  }

  /** True when at least one family has a champion. */
  async anyChampion(): Promise<boolean> {
    return (await this.registry.defaultChampion()) !== null;
  }

  async onApplicationShutdown(): Promise<void> {
    // Let a run finish its bookkeeping rather than leave it half-recorded; a hard kill is
    // handled by recoverInterruptedRuns at the next start.
    await Promise.allSettled([...this.running.values()]);
  }

  private async execute(
    run: TrainingRunEntity,
    familyNames: string[],
    trials: number,
    options: RunOptions,
    lock: HeldLock,
  ): Promise<TrainingRunEntity> {
    const started = Date.now();
    try {
      await this.ingestDropFolder();
      const snapshot = await this.diamonds.snapshot();
      const lineage = { datasetHash: snapshot.contentHash, rowCount: snapshot.rowCount };
      await this.runs.update(run.id, lineage);
      Object.assign(run, lineage);
      // Batches that drifted from the champion's training data are flagged by this run.
      run.drift = await this.drift.flagForRun(snapshot.batchIds, run.id);
      await this.runs.update(run.id, { drift: run.drift });
      if (
        options.onlyIfDataChanged &&
        !this.config.RETRAIN_ALWAYS &&
        (await this.championsCurrent(familyNames, snapshot))
      ) {
        return await this.finish(
          run,
          'skipped',
          [],
          null,
          `no new data since the champions were trained (dataset ${snapshot.contentHash.slice(0, 12)})`,
        );
      }
      if (snapshot.rowCount < MIN_TRAINING_ROWS)
        throw new Error(
          `Not enough data to train: ${snapshot.rowCount} rows (at least ${MIN_TRAINING_ROWS} needed)`,
        );
      const split = stableHashSplit(snapshot.rows, { testFraction: HOLDOUT_FRACTION });
      const outcomes: FamilyOutcome[] = [];
      // Each family's chosen parameters, for the families trained after it (the blend's parts).
      const searched: Record<string, Record<string, unknown>> = {};
      for (const name of familyNames) {
        outcomes.push(
          await this.trainFamily(
            run,
            this.families.get(name),
            snapshot,
            split,
            trials,
            options.actor ?? `run ${run.id}`,
            searched,
          ),
        );
        await this.runs.update(run.id, { outcomes });
      }
      const failed = outcomes.filter((o) => o.error);
      // One family failing is not a success: the run says so, with each family's reason.
      const status =
        failed.length === 0
          ? 'succeeded'
          : failed.length === outcomes.length
            ? 'failed'
            : 'partial';
      const error = failed.length ? failed.map((o) => `${o.family}: ${o.error}`).join('; ') : null;
      this.logger.log(
        `Training run ${run.id} ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
      return await this.finish(run, status, outcomes, error);
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      this.logger.error(`Training run ${run.id} failed: ${message}`, (err as Error).stack);
      return await this.finish(run, 'failed', run.outcomes, message).catch(() => run);
    } finally {
      await lock
        .release()
        .catch((err: Error) =>
          this.logger.warn(`Could not release the training lock: ${err.message}`),
        );
    }
  }

  private async finish(
    run: TrainingRunEntity,
    status: TrainingRunEntity['status'],
    outcomes: FamilyOutcome[],
    error: string | null,
    note?: string,
  ): Promise<TrainingRunEntity> {
    const patch = {
      status,
      outcomes,
      error: error ?? (note ? `skipped: ${note}` : null),
      finishedAt: new Date(),
    };
    await this.runs.update(run.id, patch);
    if (note) this.logger.log(`Training run ${run.id} skipped: ${note}`);
    return Object.assign(run, patch);
  }

  private async ingestDropFolder(): Promise<void> {
    const results = await this.dropFolder.scan();
    for (const r of results) {
      if (r.refused) this.logger.warn(`Drop folder: refused ${r.file}: ${r.refused}`);
    }
  }

  /** True when every family already has a champion trained on exactly this dataset. */
  private async championsCurrent(
    familyNames: string[],
    snapshot: DatasetSnapshot,
  ): Promise<boolean> {
    for (const name of familyNames) {
      const champion = await this.registry.findChampion(name);
      if (!champion) return false;
      const full = await this.registry.getVersion(name, champion.version);
      if (full.lineage.contentHash !== snapshot.contentHash) return false;
    }
    return true;
  }

  private async trainFamily(
    run: TrainingRunEntity,
    family: ModelFamily,
    snapshot: DatasetSnapshot,
    split: SplitResult<PricedDiamond & { id: number }>,
    trials: number,
    actor: string,
    searched: Record<string, Record<string, unknown>>,
  ): Promise<FamilyOutcome> {
    let model: FittedModel | undefined;
    let splitModel: FittedModel | undefined;
    try {
      const budget = family.searchable ? trials : 0;
      this.progress$.next({ runId: run.id, family: family.name, phase: 'search', trials: budget });
      const result = await family.train(split.train, {
        seed: this.config.SEARCH_SEED,
        trials: budget,
        concurrency: this.config.SEARCH_CONCURRENCY || undefined,
        searched: { ...searched },
        onTrial: (trial) =>
          this.progress$.next({
            runId: run.id,
            family: family.name,
            phase: 'search',
            trial,
            trials: budget,
          }),
      });
      splitModel = result.model;
      searched[family.name] = result.params;
      this.progress$.next({
        runId: run.id,
        family: family.name,
        phase: 'evaluate',
        trials: budget,
      });
      // The honest estimate: the model fitted on the training side only, on the holdout rows.
      // `actual` and `holdoutPredicted` are the split model's holdout prices and predictions.
      const actual = split.test.map((r) => r.price);
      const holdoutPredicted = await splitModel.predict(split.test);
      const metrics = regressionMetrics(actual, holdoutPredicted);
      // Ranges and diagnostics from the split model too: the refit has seen the holdout rows.
      const { calibration, diagnostics } = await assessHoldout(
        splitModel,
        split.test,
        holdoutPredicted,
        this.config.SEARCH_SEED,
      );
      this.progress$.next({ runId: run.id, family: family.name, phase: 'fit', trials: budget });
      const refit = await refitOnAllRows(family, result, snapshot.rows, this.config.SEARCH_SEED);
      model = refit.model;
      const version = await this.registry.register(
        {
          family: family.name,
          trainingRunId: run.id,
          params: result.params,
          metrics: {
            r2: metrics.r2,
            mae: metrics.mae,
            rmse: metrics.rmse,
            mape: metrics.mape,
            trainRows: split.train.length,
            holdoutRows: split.test.length,
          },
          holdoutSample: metrics.sample,
          trials: result.trials,
          lineage: {
            batchIds: snapshot.batchIds,
            rowCount: snapshot.rowCount,
            contentHash: snapshot.contentHash,
            fittedOn: 'all-rows',
            fittedRows: snapshot.rows.length,
          },
          split: {
            kind: 'stable-hash',
            testFraction: HOLDOUT_FRACTION,
            seed: this.config.SEARCH_SEED,
            trainRows: split.train.length,
            holdoutRows: split.test.length,
          },
          seed: this.config.SEARCH_SEED,
          codeVersion: codeVersion(),
          fitMs: Math.round(result.fitMs + refit.fitMs),
          searchMs: Math.round(result.searchMs),
          comparison: null,
          // What the served model (refit on every row) has seen.
          trainingRanges: computeTrainingRanges(snapshot.rows),
          calibration,
          diagnostics,
        },
        model,
      );
      const comparison = await this.gate(family.name, metrics.mae, split.test, actual);
      await this.registry.setComparison(version.id, comparison);
      if (comparison.promoted)
        await this.registry.promote(
          family.name,
          version.version,
          actor,
          comparison.reason,
          'promotion',
        );
      this.progress$.next({ runId: run.id, family: family.name, phase: 'done', trials: budget });
      return {
        family: family.name,
        version: version.version,
        promoted: comparison.promoted,
        mae: metrics.mae,
      };
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      this.logger.error(
        `Training ${family.name} in run ${run.id} failed: ${message}`,
        (err as Error).stack,
      );
      return { family: family.name, error: message };
    } finally {
      model?.dispose();
      splitModel?.dispose();
    }
  }

  /**
   * The promotion gate, on honest figures only: the candidate's holdout MAE comes from its split
   * model (never fitted on the holdout). A champion whose artifact was fitted on the training
   * side only is re-scored on the same holdout rows; one refit on every row has seen holdout
   * rows, so its own honest holdout MAE, recorded at registration, stands instead (its holdout
   * is the current one when the data has not changed, and a subset of it otherwise, as the
   * stable hash split only ever adds holdout rows). Promoted when candidate MAE < champion MAE
   * × (1 + tolerance).
   */
  private async gate(
    family: string,
    candidateMae: number,
    holdout: readonly PricedDiamond[],
    actual: number[],
  ): Promise<ChampionComparison> {
    const tolerance = this.config.PROMOTION_TOLERANCE;
    const champion = await this.registry.findChampion(family);
    if (!champion) {
      return {
        championVersion: null,
        championMae: null,
        candidateMae,
        tolerance,
        promoted: true,
        reason: 'first model of the family',
      };
    }
    const compare = (championMae: number, basis: string): ChampionComparison => {
      const promoted = candidateMae < championMae * (1 + tolerance);
      return {
        championVersion: champion.version,
        championMae,
        candidateMae,
        tolerance,
        promoted,
        reason: `holdout MAE ${candidateMae.toFixed(2)} ${promoted ? 'beats' : 'does not beat'} champion v${champion.version} (${championMae.toFixed(2)}${basis})`,
      };
    };
    const recorded = await this.registry.getVersion(family, champion.version);
    if (recorded.lineage.fittedOn === 'all-rows')
      return compare(
        recorded.metrics.mae,
        ", its own split model's holdout MAE: its served model was refit on every row",
      );
    let championModel: FittedModel | undefined;
    try {
      championModel = await this.registry.loadModel(champion);
      const rescored = regressionMetrics(actual, await championModel.predict(holdout), {
        sampleSize: 0,
      });
      return compare(rescored.mae, ' on the same rows');
    } catch (err) {
      // A champion that cannot be loaded (corrupt or missing artifact) cannot defend its title.
      const message = (err as Error).message;
      this.logger.warn(
        `Champion ${family} v${champion.version} could not be re-scored: ${message}`,
      );
      return {
        championVersion: champion.version,
        championMae: null,
        candidateMae,
        tolerance,
        promoted: true,
        reason: `champion v${champion.version} could not be re-scored (${message})`,
      };
    } finally {
      championModel?.dispose();
    }
  }
}
