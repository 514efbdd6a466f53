import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TrainingService } from '../../src/training/training.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

/**
 * The README's "Five minutes with the API", replayed as written, in order, on a fresh install
 * (the bundled data ingested and the first model trained at start, an ADMIN_TOKEN in the
 * environment). What differs, for CI time only (no answer's fields depend on it): `localhost:3000`
 * becomes the test server's address, the bundled data is cut to its first rows, and the trials
 * of the first-start run and of the example's training run become 0 (each family fitted once,
 * with its first parameters). Every command must exit 0 and print JSON; an example that shows
 * its answer (`# {...}`) must answer with the same fields; only an example whose shown answer is
 * an error may answer one.
 */
const ROOT = resolve(__dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ADMIN_TOKEN = 'readme-examples-token-0123456789';
const run = promisify(execFile);
const SEED_ROWS = 1000;

interface Example {
  command: string;
  /** The answer the README shows under the command, if any. */
  shown: Record<string, unknown> | null;
}

function section(title: string): string {
  const start = README.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`README has no "## ${title}" section`);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end < 0 ? undefined : end);
}

/** Every command of the section's bash blocks, with the answer shown under it. */
function examplesOf(text: string): Example[] {
  const examples: Example[] = [];
  for (const block of text.matchAll(/```bash\n([\s\S]*?)```/g)) {
    // Continuation lines (a trailing backslash, or a quote left open) make one command.
    const lines = block[1].split('\n');
    let pending = '';
    let shown: string[] = [];
    const flush = () => {
      if (pending.trim()) examples.push({ command: pending.trim(), shown: null });
      pending = '';
    };
    for (const line of lines) {
      if (/^# /.test(line) && !pending) {
        shown.push(line.slice(2));
        const last = examples[examples.length - 1];
        try {
          if (last) last.shown = JSON.parse(shown.join(''));
        } catch {
          // The shown answer continues on the next comment line.
        }
        continue;
      }
      shown = [];
      pending += (pending ? '\n' : '') + line;
      // A trailing comment (two spaces, then #) may hold an apostrophe: not a quote.
      const quotes = (pending.replace(/\s{2,}#.*$/gm, '').match(/'/g) ?? []).length;
      if (!pending.endsWith('\\') && quotes % 2 === 0) flush();
    }
    flush();
  }
  return examples;
}

// A fresh install is the embedded SQLite default; on the PostgreSQL run it would only repeat
// what the other suites check there, at a minute of training.
const describeOnFreshInstall = ENGINE === 'sqlite' ? describe : describe.skip;

describeOnFreshInstall('README examples (a fresh install: SQLite)', () => {
  let t: TestApp;
  let base: string;
  const examples = examplesOf(section('Five minutes with the API'));

  beforeAll(async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'readme-examples-'));
    mkdirSync(join(workDir, 'data'), { recursive: true });
    // The bundled file's first 1,000 rows (of 5,000): the trainings fit a fifth of the rows; no
    // example's answer has a field that depends on the row count.
    const bundled = readFileSync(join(ROOT, 'data/diamonds.csv'), 'utf8').split('\n');
    writeFileSync(
      join(workDir, 'data/diamonds.csv'),
      bundled.slice(0, 1 + SEED_ROWS).join('\n') + '\n',
    );
    t = await createTestApp(
      {
        SEED_ON_START: 'true',
        TRAIN_ON_START: 'true',
        FIRST_START_TRIALS: '0',
        ADMIN_TOKEN,
      },
      { workDir, listen: true },
    );
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    base = `127.0.0.1:${port}`;
    // "the pricing endpoints answer 503 for the few seconds the first model takes to train"
    const deadline = Date.now() + 240_000;
    for (;;) {
      const ready = await fetch(`http://${base}/health/ready`);
      if (ready.status === 200) break;
      if (Date.now() > deadline) throw new Error('the service never became ready');
      await new Promise((r) => setTimeout(r, 500));
    }
    // "...and the first-start run goes on training the other families": the README says to let
    // it end before starting a run of your own (a second run answers 409 meanwhile).
    const training = t.app.get(TrainingService);
    for (const run of await training.listRuns(5))
      if (run.status === 'running') await training.waitForRun(run.id);
  }, 300_000);

  afterAll(async () => {
    await t?.close();
  }, 300_000);

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
    expect(examples.filter((e) => e.shown).length).toBeGreaterThanOrEqual(2);
  });

  it('runs every example as written, in order', async () => {
    for (const example of examples) {
      const command = example.command
        .replaceAll('localhost:3000', base)
        .replace(/"trials": \d+/g, '"trials": 0');
      // Not execFileSync: the server answers on this process's event loop.
      const { stdout: out } = await run('bash', ['-c', command], {
        cwd: ROOT,
        env: { ...process.env, ADMIN_TOKEN },
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (/^export /.test(command)) continue;
      const answers = out
        .trim()
        .split('\n')
        .filter((line) => line.trim())
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            throw new Error(`${example.command}\nprinted something that is not JSON: ${line}`);
          }
        });
      expect(answers.length).toBeGreaterThan(0);
      for (const answer of answers) {
        const error = typeof answer.statusCode === 'number' && answer.statusCode >= 400;
        const shownError =
          typeof example.shown?.statusCode === 'number' && example.shown.statusCode >= 400;
        if (error !== shownError)
          throw new Error(`${example.command}\nanswered ${JSON.stringify(answer).slice(0, 400)}`);
        if (example.shown)
          expect({ command: example.command, fields: Object.keys(answer).sort() }).toEqual({
            command: example.command,
            fields: Object.keys(example.shown).sort(),
          });
      }
      // A training run started by an example ends before the next example reads its results.
      const started = answers.find((a) => typeof a.runId === 'number');
      if (started) await t.app.get(TrainingService).waitForRun(started.runId as number);
    }
  }, 600_000);
});
