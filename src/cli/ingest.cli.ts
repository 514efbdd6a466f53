import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileRefusedError } from '../diamonds/csv-reader';
import { DiamondsService } from '../diamonds/diamonds.service';
import { CliCommand, CliUsageError, runCli } from './cli-runner';

/** npm run ingest -- <file.csv> [more.csv ...]: ingest files and print what became of their rows. */
export const ingestCommand: CliCommand<string[]> = {
  usage: 'npm run ingest -- <file.csv> [more.csv ...]',
  help: [
    'Ingests CSV files of diamonds into the store (the same settings and database as the server:',
    'DATABASE_URL, SQLITE_PATH, PRICE_MIN, PRICE_MAX...). Every row is validated; refused rows are',
    'kept with their reasons. A file already ingested (same sha256) adds nothing. A running server',
    'sees the new rows within CHAMPION_POLL_MS; the next training run uses them.',
    '',
    'Exit status: 0 when every file was ingested, 1 when a file is missing or refused as a whole,',
    '2 for wrong arguments.',
  ].join('\n'),
  parse(argv) {
    const option = argv.find((a) => a.startsWith('-'));
    if (option) throw new CliUsageError(`Unknown option ${option}`);
    if (argv.length === 0) throw new CliUsageError('No file given');
    return argv;
  },
  async run(app, files) {
    const diamonds = app.get(DiamondsService);
    let status = 0;
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
    return status;
  },
};

if (require.main === module) runCli(ingestCommand);
