/**
 * Measures the process memory of ingesting one CSV file (issue 11: 200,000 rows must not take
 * hundreds of MB). Boots the app without HTTP on a throwaway SQLite file, samples the RSS every
 * 20 ms while ingesting, prints RSS before, peak and after (MB). `--ingest-only` stops the
 * similar-diamonds index from rebuilding (it holds every row by design), to see the ingestion alone.
 *
 *   node --expose-gc -r ts-node/register/transpile-only scripts/ingest-memory.ts <file.csv> [--ingest-only]
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

async function main(): Promise<void> {
  const file = resolve(process.argv[2] ?? '');
  const ingestOnly = process.argv.includes('--ingest-only');
  const dir = mkdtempSync(join(tmpdir(), 'ingest-memory-'));
  Object.assign(process.env, {
    SQLITE_PATH: join(dir, 'db.sqlite'),
    DATA_DIR: join(dir, 'data'),
    VAR_DIR: join(dir, 'var'),
    ARTIFACTS_DIR: join(dir, 'artifacts'),
    SEED_ON_START: 'false',
    AUDIT_ENABLED: 'false',
    LOG_LEVEL: 'warn',
  });
  delete process.env.DATABASE_URL;
  const { createCliContext } = await import('../src/cli/cli-context');
  const { DiamondsService } = await import('../src/diamonds/diamonds.service');
  const { SimilarDiamondsService } = await import('../src/diamonds/similar-diamonds.service');
  const app = await createCliContext();
  try {
    if (ingestOnly) await app.get(SimilarDiamondsService).beforeApplicationShutdown();
    const mb = (n: number) => (n / 1024 / 1024).toFixed(0);
    global.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let heapPeak = 0;
    const timer = setInterval(() => {
      const m = process.memoryUsage();
      peak = Math.max(peak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
    }, 20);
    const started = Date.now();
    const report = await app.get(DiamondsService).ingestFile(file, 'cli');
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage().rss);
    global.gc?.();
    const after = process.memoryUsage().rss;
    console.log(
      `${report.accepted} accepted, ${report.rejected} rejected in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `RSS before ${mb(before)} MB, peak ${mb(peak)} MB (+${mb(peak - before)}), after ${mb(after)} MB; ` +
        `peak JS heap ${mb(heapPeak)} MB`,
    );
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
