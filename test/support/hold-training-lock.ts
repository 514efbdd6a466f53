import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { databaseOptions } from '../../src/database/database-options';
import { TrainingRunRepository } from '../../src/training/training-run.repository';

/**
 * Another process on the same database (test/database/training-lock.e2e-spec.ts): tries the
 * training lock, says `held` or `refused` on stdout, then obeys `try`, `release` and `exit` read
 * from stdin (one per line). Settings from the environment, as the app reads them.
 */
async function main(): Promise<void> {
  const dataSource = await new DataSource(databaseOptions(loadConfig())).initialize();
  const runs = new TrainingRunRepository(dataSource);
  let held = await runs.tryLock();
  console.log(held ? 'held' : 'refused');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'try') {
      held = held ?? (await runs.tryLock());
      console.log(held ? 'held' : 'refused');
    } else if (line === 'release') {
      await held?.release();
      held = null;
      console.log('released');
    } else if (line === 'exit') break;
  }
  await held?.release();
  await dataSource.destroy();
}

void main().then(() => process.exit(0));
