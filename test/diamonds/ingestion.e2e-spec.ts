import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { FileRefusedError } from '../../src/diamonds/csv-reader';
import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { AdvisoryLock } from '../../src/database/advisory-lock';
import { DROP_FOLDER_LOCK_KEY, DropFolderService } from '../../src/diamonds/drop-folder.service';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';

const fixture = (name: string) => join(__dirname, '..', 'fixtures', name);

describe(`CSV ingestion (${ENGINE})`, () => {
  let t: TestApp;
  let diamonds: DiamondsService;
  let db: DataSource;

  const counts = async () => ({
    batches: Number((await db.query('SELECT COUNT(*) AS n FROM ingestion_batch'))[0].n),
    diamonds: Number((await db.query('SELECT COUNT(*) AS n FROM diamond'))[0].n),
    rejected: Number((await db.query('SELECT COUNT(*) AS n FROM rejected_row'))[0].n),
  });

  beforeEach(async () => {
    t = await createTestApp();
    diamonds = t.app.get(DiamondsService);
    db = t.app.get(DataSource);
  });
  afterEach(() => t.close());

  it('stores every row of a valid file with its batch', async () => {
    const report = await diamonds.ingestFile(fixture('good.csv'), 'cli');
    expect(report).toMatchObject({
      outcome: 'ingested',
      accepted: 5,
      rejected: 0,
      sourceName: 'good.csv',
    });
    expect(report.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await counts()).toEqual({ batches: 1, diamonds: 5, rejected: 0 });
    const snapshot = await diamonds.snapshot();
    expect(snapshot.rows[4]).toMatchObject({
      carat: 1.01,
      cut: 'Very Good',
      color: 'G',
      clarity: 'VS1',
      depth: 62.1,
      table: 57,
      price: 6120,
      x: 6.4,
      y: 6.45,
      z: 3.99,
    });
    const [batch] = await diamonds.listBatches();
    expect(batch).toMatchObject({
      sourceKind: 'cli',
      acceptedCount: 5,
      rejectedCount: 0,
      sha256: report.sha256,
    });
  });

  it('keeps every bad row apart with its line, raw text and every reason (BOM, CRLF, quotes handled)', async () => {
    const report = await diamonds.ingestFile(fixture('mixed.csv'), 'cli');
    expect(report.accepted).toBe(2); // the quoted "Very Good" row and the fully quoted row
    expect(report.rejected).toBe(8);
    const rows = await diamonds.rejectedRows(report.batchId);
    const byLine = new Map(rows.map((r) => [r.lineNumber, r]));
    expect(byLine.get(3)?.reasons).toEqual(['price must be ≥ 1 and ≤ 1000000 (USD), got -1']);
    expect(byLine.get(4)?.reasons).toEqual(['z must be > 0 and ≤ 100 (mm), got 0']);
    expect(byLine.get(5)?.reasons).toEqual([
      'cut "Superb" is not one of Fair, Good, Very Good, Premium, Ideal',
    ]);
    expect(byLine.get(6)?.reasons).toEqual(['clarity is empty']);
    expect(byLine.get(7)?.reasons).toEqual(['depth is not a number: "abc"']);
    expect(byLine.get(8)?.reasons).toEqual(['has 11 fields, the header has 10 (extra column)']);
    expect(byLine.get(9)?.reasons).toEqual([
      'has 9 fields, the header has 10 (missing column)',
      'z is empty',
    ]);
    expect(byLine.get(11)?.reasons).toEqual(
      expect.arrayContaining([
        'price must be ≥ 1 and ≤ 1000000 (USD), got 0',
        'depth must be ≥ 40 and ≤ 80 (%), got 30',
        'color "Q" is not one of J, I, H, G, F, E, D',
      ]),
    );
    expect(byLine.get(3)?.rawText).toBe('0.5,Ideal,G,VS1,61.5,56.0,-1,5.1,5.13,3.15');
    const snapshot = await diamonds.snapshot();
    expect(snapshot.rows.map((r) => [r.cut, r.color, r.clarity, r.carat])).toEqual([
      ['Very Good', 'H', 'VS2', 0.7],
      ['Premium', 'D', 'IF', 0.9],
    ]);
    expect(await counts()).toEqual({ batches: 1, diamonds: 2, rejected: 8 });
  });

  it('adds nothing when the same file is ingested again, and says so', async () => {
    const first = await diamonds.ingestFile(fixture('good.csv'), 'cli');
    const again = await diamonds.ingestFile(fixture('good.csv'), 'cli', 'renamed.csv');
    expect(again).toMatchObject({
      outcome: 'duplicate',
      batchId: first.batchId,
      accepted: 0,
      rejected: 0,
    });
    expect(await counts()).toEqual({ batches: 1, diamonds: 5, rejected: 0 });
  });

  it.each([
    [
      'wrong-header.csv',
      /Wrong header \(missing column\(s\): color; unknown column\(s\): "colour"\)/,
    ],
    ['empty.csv', /empty/],
  ])('refuses %s as a whole and leaves the store untouched', async (name, message) => {
    await diamonds.ingestFile(fixture('good.csv'), 'cli');
    const before = await counts();
    await expect(diamonds.ingestFile(fixture(name), 'cli')).rejects.toThrow(message);
    await expect(diamonds.ingestFile(fixture(name), 'cli')).rejects.toBeInstanceOf(
      FileRefusedError,
    );
    expect(await counts()).toEqual(before);
  });

  it('refuses a binary file and an unparsable one (unclosed quote) without storing anything', async () => {
    const bin = join(t.workDir, 'model.bin');
    writeFileSync(bin, Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x01]));
    await expect(diamonds.ingestFile(bin, 'cli')).rejects.toThrow(/not CSV/);
    const broken = join(t.workDir, 'broken.csv');
    writeFileSync(
      broken,
      'carat,cut,color,clarity,depth,table,price,x,y,z\n0.3,"Ideal,E,SI2,61.5,55,326,3.9,3.9,2.4\n',
    );
    await expect(diamonds.ingestFile(broken, 'cli')).rejects.toThrow(/not valid CSV/);
    expect(await counts()).toEqual({ batches: 0, diamonds: 0, rejected: 0 });
  });

  it('drop folder: ingests files, moves them to processed/, refused ones to rejected/ with a reason', async () => {
    const drop = t.app.get(DropFolderService);
    const { incoming, processed, rejected } = drop.folders;
    copyFileSync(fixture('good.csv'), join(incoming, 'a-good.csv'));
    copyFileSync(fixture('mixed.csv'), join(incoming, 'b-mixed.csv'));
    copyFileSync(fixture('wrong-header.csv'), join(incoming, 'c-wrong.csv'));
    const results = await drop.scan();
    expect(
      results.map((r) => [r.file, r.report?.accepted ?? null, r.refused ? 'refused' : 'ok']),
    ).toEqual([
      ['a-good.csv', 5, 'ok'],
      ['b-mixed.csv', 2, 'ok'],
      ['c-wrong.csv', null, 'refused'],
    ]);
    expect(readdirSync(incoming).filter((n) => !n.startsWith('.'))).toEqual([]);
    expect(
      readdirSync(processed)
        .map((n) => n.replace(/^.*?_/, ''))
        .sort(),
    ).toEqual(['a-good.csv', 'b-mixed.csv']);
    const refused = readdirSync(rejected).sort();
    expect(refused).toHaveLength(2);
    const reason = readFileSync(
      join(
        rejected,
        refused.find((n) => n.endsWith('.reason.txt'))!,
      ),
      'utf8',
    );
    expect(reason).toMatch(/Wrong header/);
    expect(
      existsSync(
        join(
          rejected,
          refused.find((n) => n.endsWith('c-wrong.csv'))!,
        ),
      ),
    ).toBe(true);
    expect(await counts()).toEqual({ batches: 2, diamonds: 7, rejected: 8 });
  });

  it('drop folder: one instance scans it at a time (a lock in the database)', async () => {
    const drop = t.app.get(DropFolderService);
    copyFileSync(fixture('good.csv'), join(drop.folders.incoming, 'a-good.csv'));
    // Another instance on the same database holds the scan.
    const other = await new AdvisoryLock(db, DROP_FOLDER_LOCK_KEY).tryAcquire();
    expect(other).not.toBeNull();
    try {
      expect(await drop.scan()).toEqual([]);
      expect(readdirSync(drop.folders.incoming)).toEqual(['a-good.csv']);
    } finally {
      await other!.release();
    }
    expect((await drop.scan()).map((r) => r.file)).toEqual(['a-good.csv']);
    expect(await counts()).toMatchObject({ batches: 1, diamonds: 5 });
  });
});
