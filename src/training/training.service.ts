import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { hostname } from 'node:os';
import { Subject } from 'rxjs';
import { AppConfig } from '../config/app-config';
import { DomainError, ErrorCode } from '../common/domain-error';
import { DiamondsService, DatasetSnapshot } from '../diamonds/diamonds.service';
import { DropFolderService } from '../diamonds/drop-folder.service';
import { PricedDiamond } from '../diamonds/diamond-vocabulary';
import { HeldLock } from '../database/advisory-lock';
import { RegistryService } from '../registry/registry.service';
import { regressionMetrics } from '../model-runtime/evaluation';
import { computeTrainingRanges } from '../model-runtime/evaluation/training-ranges';
import { assessHoldout } from '../model-runtime/evaluation/holdout-assessment';
import { FittedModel, ModelFamily, TrainResult, TrialRecord } from '../model-runtime/model-family';
import { ModelFamilyRegistry } from '../model-runtime/model-runtime.module';
import { codeVersion } from './code-version';
import { BatchDriftService } from './drift/batch-drift.service';
import { BatchPriceCheckService } from './batch-check/batch-price-check.service';
import { SplitResult, stableHashSplit } from '../model-runtime/split';
import { RunGate, RunOutcome, RunTrigger, TrainingRunEntity } from './training-run.entity';
import { decidePromotion, GateDecision, GateInput } from './promotion/promotion-gate';
import { TrainingRunRepository } from './training-run.repository';
import { ChildExit, TrainingProcess } from './training-process';

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
/** How long a run's start waits for an instance that recorded its run's end to release the lock. */
const LOCK_FINISHING_WAIT_MS = 5_000;

/**
 * The training pipeline. One run: ingest the drop folder → check fresh batches' prices (a held
 * batch stays out) → snapshot the dataset → split →
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
    private readonly childProcess: TrainingProcess,
    private readonly priceCheck: BatchPriceCheckService,
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
    // The command line is an operator's explicit choice; every other trigger obeys the role.
    if (this.config.INSTANCE_ROLE === 'serve' && trigger !== 'cli')
      throw new DomainError(
        ErrorCode.Conflict,
        'This instance only serves (INSTANCE_ROLE=serve): training runs on the trainer, an instance with INSTANCE_ROLE=train or both (or npm run train); start the run there',
        [
          {
            field: 'INSTANCE_ROLE',
            rules: { trainsHere: 'training runs on instances with INSTANCE_ROLE=train or both' },
            value: this.config.INSTANCE_ROLE,
          },
        ],
      );
    const families = options.families ?? this.families.list().map((f) => f.name);
    for (const name of families) this.registry.assertFamily(name);
    const trials = options.trials ?? this.config.SEARCH_TRIALS;
    const lock = await this.acquireLock();
    if (!lock) {
      const running = await this.runs.findRunning();
      throw new DomainError(
        ErrorCode.Conflict,
        `A training run is already in progress${running ? ` (run ${running.id})` : ''}`,
        running
          ? [
              {
                field: 'runningRunId',
                rules: { oneRunAtATime: `run ${running.id} is in progress` },
                value: running.id,
              },
            ]
          : undefined,
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
    // On the server, the work goes to a child process at a lower priority (TRAINING_PROCESS);
    // the command line is already a process of its own.
    const work =
      trigger !== 'cli' && this.childProcess.enabled()
        ? this.executeInChild(run, families, trials, options, lock)
        : this.execute(run, families, trials, options, lock);
    const done = work.finally(() => this.running.delete(run.id));
    this.running.set(run.id, done);
    return { runId: run.id };
  }

  /**
   * The training lock. A run records its end (succeeded, failed) a moment before its instance
   * lets go of the lock (the child process exits, the lock's connection is released), so a
   * client that saw the run finish and asks for the next one must not get a 409: while the lock
   * is held and no run is recorded as running, the holder is finishing, and the ask waits for it
   * (up to LOCK_FINISHING_WAIT_MS).
   */
  private async acquireLock(): Promise<HeldLock | null> {
    const deadline = Date.now() + LOCK_FINISHING_WAIT_MS;
    for (;;) {
      const lock = await this.runs.tryLock();
      if (lock) return lock;
      if (Date.now() >= deadline || (await this.runs.findRunning())) return null;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

  /**
   * The training child's side (src/cli/train-run.cli.ts): executes a run the server recorded,
   * while the server holds the training lock for it.
   */
  async executeRecordedRun(
    runId: number,
    families: string[],
    trials: number,
    options: RunOptions,
  ): Promise<TrainingRunEntity> {
    const run = await this.getRun(runId);
    if (run.status !== 'running')
      throw new DomainError(
        ErrorCode.Conflict,
        `Training run ${runId} is ${run.status}, not running`,
      );
    return this.execute(run, families, trials, options, { release: async () => undefined });
  }

  async onApplicationShutdown(): Promise<void> {
    // A run in a child process is stopped (recorded as interrupted); one in this process finishes.
    this.childProcess.stopAll();
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
      // Fresh batches are checked against the champion first; a held one leaves both sides of
      // the split, and the data hash, until an admin accepts it.
      const batchIds = await this.diamonds.activeBatchIds();
      run.heldBatches = await this.priceCheck.checkForRun(batchIds);
      const held = new Set(run.heldBatches.map((h) => h.batchId));
      const snapshot = await this.diamonds.snapshot(batchIds.filter((id) => !held.has(id)));
      const lineage = { datasetHash: snapshot.contentHash, rowCount: snapshot.rowCount };
      await this.runs.update(run.id, { ...lineage, heldBatches: run.heldBatches });
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
      const split = stableHashSplit(snapshot.rows, SPLIT);
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
      await this.rankChampions(run, snapshot, split).catch((err: Error) =>
        this.logger.warn(`Champions not ranked on the same rows: ${err.message}`),
      );
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

  /**
   * The run in a child process (TrainingProcess) at TRAINING_SCHEDULING: this process keeps the
   * lock and, when the child ends without finishing the run (killed, crashed), records it as failed.
   */
  private async executeInChild(
    run: TrainingRunEntity,
    families: string[],
    trials: number,
    options: RunOptions,
    lock: HeldLock,
  ): Promise<TrainingRunEntity> {
    let exit: ChildExit | undefined;
    try {
      exit = await this.childProcess.run(
        {
          runId: run.id,
          families,
          trials,
          onlyIfDataChanged: options.onlyIfDataChanged,
          actor: options.actor,
        },
        (message) => {
          if (message.type === 'progress')
            this.progress$.next(message.progress as TrainingProgress);
          else
            this.logger.log(
              `Training run ${run.id} runs in process ${message.pid} (${message.scheduling ?? `nice ${this.config.TRAINING_NICE}`}, TRAINING_SCHEDULING=${this.config.TRAINING_SCHEDULING})`,
            );
        },
      );
      const recorded = await this.getRun(run.id);
      if (recorded.status !== 'running') return recorded;
      const how = exit.signal ? `signal ${exit.signal}` : `exit status ${exit.code}`;
      this.logger.error(`Training run ${run.id} failed: its process ended (${how})`);
      return await this.finish(
        Object.assign(run, recorded),
        'failed',
        recorded.outcomes,
        `Interrupted: the training process ended (${how}) during the run`,
      );
    } catch (err) {
      this.logger.error(`Training run ${run.id} failed: ${(err as Error).message}`);
      return await this.finish(run, 'failed', run.outcomes, (err as Error).message).catch(
        () => run,
      );
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

  /**
   * One family, in named steps: search and fit on the training side (the split model) → score
   * it on the holdout (the version's honest figures, ranges, diagnostics) → refit on every row
   * (the served model) → register both artifacts → the promotion gate on the holdout rows.
   */
  private async trainFamily(
    run: TrainingRunEntity,
    family: ModelFamily,
    snapshot: DatasetSnapshot,
    split: SnapshotSplit,
    trials: number,
    actor: string,
    searched: Record<string, Record<string, unknown>>,
  ): Promise<FamilyOutcome> {
    let served: FittedModel | undefined;
    let splitFit: TrainResult | undefined;
    const budget = family.searchable ? trials : 0;
    const report = (phase: TrainingProgress['phase'], trial?: TrialRecord) =>
      this.progress$.next({ runId: run.id, family: family.name, phase, trial, trials: budget });
    try {
      report('search');
      splitFit = await this.searchOnTrainingSide(family, split, budget, searched, (trial) =>
        report('search', trial),
      );
      searched[family.name] = splitFit.params;
      report('evaluate');
      const holdout = await this.scoreOnHoldout(splitFit.model, split);
      report('fit');
      const refit = await refitOnAllRows(family, splitFit, snapshot.rows, this.config.SEARCH_SEED);
      served = refit.model;
      const version = await this.registerVersion(
        run,
        family,
        snapshot,
        split,
        splitFit,
        refit,
        holdout,
      );
      const decision = await this.gate(family, split, holdout.predicted);
      await this.registry.setComparison(version.id, decision);
      if (decision.promoted)
        await this.registry.promote(
          family.name,
          version.version,
          actor,
          decision.reason,
          'promotion',
        );
      report('done');
      return {
        family: family.name,
        version: version.version,
        promoted: decision.promoted,
        mae: holdout.metrics.mae,
        gate: toRunGate(decision),
      };
    } catch (err) {
      const message = (err as Error).message ?? String(err);
      this.logger.error(
        `Training ${family.name} in run ${run.id} failed: ${message}`,
        (err as Error).stack,
      );
      return { family: family.name, error: message };
    } finally {
      served?.dispose();
      splitFit?.model.dispose();
    }
  }

  /** The search (when the family has one) and the fit of its choice, on the training side only. */
  private searchOnTrainingSide(
    family: ModelFamily,
    split: SnapshotSplit,
    trials: number,
    searched: Record<string, Record<string, unknown>>,
    onTrial: (trial: TrialRecord) => void,
  ): Promise<TrainResult> {
    return family.train(split.train, {
      seed: this.config.SEARCH_SEED,
      trials,
      concurrency: this.config.SEARCH_CONCURRENCY || undefined,
      searched: { ...searched },
      onTrial,
    });
  }

  /**
   * The honest estimate: the split model on the holdout rows, which it never saw; ranges and
   * diagnostics from it too (the refit has seen the holdout rows).
   */
  private async scoreOnHoldout(splitModel: FittedModel, split: SnapshotSplit) {
    const actual = split.test.map((r) => r.price);
    const predicted = await splitModel.predict(split.test);
    const metrics = regressionMetrics(actual, predicted);
    const { calibration, diagnostics } = await assessHoldout(
      splitModel,
      split.test,
      predicted,
      this.config.SEARCH_SEED,
    );
    return { predicted, metrics, calibration, diagnostics };
  }

  private registerVersion(
    run: TrainingRunEntity,
    family: ModelFamily,
    snapshot: DatasetSnapshot,
    split: SnapshotSplit,
    splitFit: TrainResult,
    refit: TrainResult,
    holdout: Awaited<ReturnType<TrainingService['scoreOnHoldout']>>,
  ) {
    const { metrics } = holdout;
    return this.registry.register(
      {
        family: family.name,
        trainingRunId: run.id,
        params: splitFit.params,
        metrics: {
          r2: metrics.r2,
          mae: metrics.mae,
          rmse: metrics.rmse,
          mape: metrics.mape,
          trainRows: split.train.length,
          holdoutRows: split.test.length,
        },
        holdoutSample: metrics.sample,
        trials: splitFit.trials,
        lineage: {
          batchIds: snapshot.batchIds,
          rowCount: snapshot.rowCount,
          contentHash: snapshot.contentHash,
          fittedOn: 'all-rows',
          fittedRows: snapshot.rows.length,
        },
        split: {
          ...SPLIT,
          seed: this.config.SEARCH_SEED,
          trainRows: split.train.length,
          holdoutRows: split.test.length,
        },
        seed: this.config.SEARCH_SEED,
        codeVersion: codeVersion(),
        fitMs: Math.round(splitFit.fitMs + refit.fitMs),
        searchMs: Math.round(splitFit.searchMs),
        comparison: null,
        // What the served model (refit on every row) has seen.
        trainingRanges: computeTrainingRanges(snapshot.rows),
        calibration: holdout.calibration,
        diagnostics: holdout.diagnostics,
      },
      refit.model,
      splitFit.model,
    );
  }

  /**
   * The promotion gate: the candidate's split model and the champion's, on this run's holdout
   * rows, which neither was fitted on; the decision is the pure `decidePromotion`.
   */
  private async gate(
    family: ModelFamily,
    split: SnapshotSplit,
    candidate: number[],
  ): Promise<GateDecision> {
    return decidePromotion({
      actual: split.test.map((r) => r.price),
      candidate,
      champion: await this.championOnHoldout(family, split),
      tolerance: this.config.PROMOTION_TOLERANCE,
      seed: this.config.SEARCH_SEED,
    });
  }

  /**
   * Ranks every family's champion on this run's holdout rows (their split models, none fitted on
   * them), so the default model is chosen on the same rows. Leaves the ranking as it was when a
   * champion has no split model of this split (an older version): figures on other rows would
   * not compare.
   */
  private async rankChampions(
    run: TrainingRunEntity,
    snapshot: DatasetSnapshot,
    split: SnapshotSplit,
  ): Promise<void> {
    if (split.test.length === 0) return;
    const actual = split.test.map((r) => r.price);
    const rankings: Parameters<RegistryService['setRanking']>[0] = [];
    for (const family of this.families.list()) {
      const champion = await this.registry.findChampion(family.name);
      if (!champion) continue;
      const entity = await this.registry.getVersion(family.name, champion.version);
      let model: FittedModel | null = null;
      try {
        model = sameSplit(entity.split) ? await this.registry.loadSplitModel(entity) : null;
        if (!model) {
          this.logger.log(
            `Champions not ranked on the same rows: ${family.name} v${champion.version} has no split model of this split`,
          );
          return;
        }
        const { mae } = regressionMetrics(actual, await model.predict(split.test), {
          sampleSize: 0,
        });
        rankings.push({
          versionId: entity.id,
          ranking: {
            mae,
            rows: split.test.length,
            trainingRunId: run.id,
            contentHash: snapshot.contentHash,
          },
        });
      } catch (err) {
        this.logger.warn(
          `Champions not ranked on the same rows: ${family.name} v${champion.version}: ${(err as Error).message}`,
        );
        return;
      } finally {
        model?.dispose();
      }
    }
    await this.registry.setRanking(rankings);
  }

  /**
   * The champion's predictions on the holdout rows, from a model that never saw them: its split
   * model when it has one from the same split (kind, fraction, salt: with the stable hash split
   * its training side holds no row of today's holdout, as a row's side depends only on its
   * content); otherwise (older versions, another split) a refit of its recorded parameters on
   * its own rows (its batches, still active) on today's training side.
   */
  private async championOnHoldout(
    family: ModelFamily,
    split: SnapshotSplit,
  ): Promise<GateInput['champion']> {
    const champion = await this.registry.findChampion(family.name);
    if (!champion) return { kind: 'none' };
    let model: FittedModel | undefined;
    try {
      const entity = await this.registry.getVersion(family.name, champion.version);
      let basis = 'both split models';
      model = sameSplit(entity.split)
        ? ((await this.registry.loadSplitModel(entity)) ?? undefined)
        : undefined;
      if (!model) {
        const own = new Set(entity.lineage.batchIds);
        const rows = split.train.filter((r) => own.has(r.batchId));
        if (rows.length < MIN_TRAINING_ROWS)
          throw new Error(`${rows.length} of its rows are left on the training side`);
        model = (
          await family.train(rows, {
            seed: entity.seed,
            trials: 0,
            fixedParams: entity.params,
          })
        ).model;
        basis = `champion refit from its recorded parameters on its ${rows.length} rows of the training side`;
      }
      return {
        kind: 'scored',
        version: champion.version,
        predicted: await model.predict(split.test),
        basis,
      };
    } catch (err) {
      // A champion that cannot be loaded (corrupt or missing artifact) cannot defend its title.
      const message = (err as Error).message;
      this.logger.warn(
        `Champion ${family.name} v${champion.version} could not be scored: ${message}`,
      );
      return { kind: 'unavailable', version: champion.version, error: message };
    } finally {
      model?.dispose();
    }
  }
}

type SnapshotSplit = SplitResult<DatasetSnapshot['rows'][number]>;

/** The split every run uses: stable hash, 20 % holdout, no salt. */
const SPLIT = { kind: 'stable-hash', testFraction: HOLDOUT_FRACTION, salt: '' } as const;

/** True when a version's split is this run's (same kind, fraction and salt). */
function sameSplit(split: { kind: string; testFraction: number; salt?: string }): boolean {
  return (
    split.kind === SPLIT.kind &&
    split.testFraction === SPLIT.testFraction &&
    (split.salt ?? '') === SPLIT.salt
  );
}

function toRunGate(d: GateDecision): RunGate {
  return {
    rows: d.rows,
    championVersion: d.championVersion,
    championMae: d.championMae,
    candidateMae: d.candidateMae,
    promoted: d.promoted,
    basis: d.basis,
    reason: d.reason,
  };
}
