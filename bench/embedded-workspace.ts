import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * A throwaway embedded install for the in-process benches (accuracy, retrain): a temporary folder
 * with the bundled `data/diamonds.csv`, an empty drop folder, its own SQLite file, artifacts and
 * VAR_DIR, set in the environment (audit off, warnings only). Call it before importing the
 * application's modules: the config is read when they load. Returns the folder and its data dir.
 */
export function embeddedWorkspace(prefix: string): { work: string; dataDir: string } {
  const root = path.resolve(__dirname, '..');
  const work = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const dataDir = path.join(work, 'data');
  mkdirSync(path.join(dataDir, 'incoming'), { recursive: true });
  copyFileSync(path.join(root, 'data/diamonds.csv'), path.join(dataDir, 'diamonds.csv'));
  Object.assign(process.env, {
    SQLITE_PATH: path.join(work, 'bench.sqlite'),
    DATA_DIR: dataDir,
    ARTIFACTS_DIR: path.join(work, 'artifacts'),
    VAR_DIR: path.join(work, 'var'),
    AUDIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  delete process.env.DATABASE_URL;
  return { work, dataDir };
}
