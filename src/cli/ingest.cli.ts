import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileRefusedError } from '../diamonds/csv-reader';
import { DiamondsService } from '../diamonds/diamonds.service';
import { createCliContext } from './cli-context';

/** npm run ingest -- <file.csv> [more.csv ...]: ingest files and print what became of their rows. */
async function main(): Promise<number> {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('Usage: npm run ingest -- <file.csv> [more.csv ...]');
    return 2;
  }
  const app = await createCliContext();
  let status = 0;
  try {
    const diamonds = app.get(DiamondsService);
    for (const file of files) {
      const path = resolve(file);
      if (!existsSync(path)) {
        console.error(`${file}: no such file`);
        status = 1;
        continue;
      }
      try {
        const r = await diamonds.ingestFile(path, 'cli');
        if (r.outcome === 'duplicate') {
          console.log(
            `${file}: already ingested as batch ${r.batchId} (same sha256); nothing added`,
          );
          continue;
        }
        console.log(`${file}: batch ${r.batchId}: ${r.accepted} accepted, ${r.rejected} rejected`);
        for (const x of r.rejections.slice(0, 10))
          console.log(`  line ${x.lineNumber}: ${x.reasons.join('; ')}`);
        if (r.rejected > 10)
          console.log(`  ... ${r.rejected - 10} more rejected rows (all stored in rejected_row)`);
      } catch (err) {
        if (!(err instanceof FileRefusedError)) throw err;
        console.error(`${file}: refused: ${err.message}`);
        status = 1;
      }
    }
  } finally {
    await app.close();
  }
  return status;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  },
);
