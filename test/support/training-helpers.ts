import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { NewVersion, RegistryService } from '../../src/registry/registry.service';
import { TrainingService, RunOptions } from '../../src/training/training.service';
import { TestApp } from './test-app';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const BATCH = (n: 1 | 2 | 3) =>
  join(__dirname, '..', '..', 'data', 'batches', `batch-00${n}.csv`);

/** Ingests one of the bundled demo batches (1,000 rows each). */
export async function ingestBatch(t: TestApp, n: 1 | 2 | 3): Promise<void> {
  await t.app.get(DiamondsService).ingestFile(BATCH(n), 'cli');
}

/** Drops a demo batch into the app's incoming folder. */
export function dropBatch(t: TestApp, n: 1 | 2 | 3): void {
  copyFileSync(BATCH(n), join(t.config.DATA_DIR, 'incoming', `batch-00${n}.csv`));
}

/** Runs the pipeline to the end and returns the finished run. */
export async function train(t: TestApp, options: RunOptions = { families: ['linear'] }) {
  const training = t.app.get(TrainingService);
  const { runId } = await training.startRun('cli', options);
  return training.waitForRun(runId);
}

/** A complete, ordinary diamond for tests that only need a valid pricing request. */
export const SAMPLE_DIAMOND = {
  carat: 0.7,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: 61.5,
  table: 56,
  x: 5.7,
  y: 5.72,
  z: 3.51,
} as const;

/** Registers a copy of `family` v`from`, changed by `patch`: a candidate whose figures a test chooses. */
export async function registerCopy(
  registry: RegistryService,
  family: string,
  from: number,
  patch: (source: NewVersion) => Partial<NewVersion>,
): Promise<number> {
  const source = await registry.getVersion(family, from);
  const {
    id: _id,
    createdAt: _c,
    version: _v,
    status: _s,
    artifactPath: _p,
    artifactSize: _z,
    artifactSha256: _h,
    ...rest
  } = source;
  const model = await registry.loadEntity(source);
  try {
    return (await registry.register({ ...rest, ...patch(rest) }, model)).version;
  } finally {
    model.dispose();
  }
}
