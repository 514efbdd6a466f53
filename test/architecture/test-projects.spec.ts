import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The two jest projects (jest.config.js): `*.spec.ts` run once, on the SQLite pass, so they must
 * not reach a database; whatever starts an app, a DataSource or a server is a `*.e2e-spec.ts`
 * and runs on both engines. A `*.spec.ts` importing one of these is misnamed.
 */
const ROOT = resolve(__dirname, '../..');

const DATABASE_DOORS: readonly [RegExp, string][] = [
  [/from '[./]*\/support\/(test-app|training-helpers|hold-training-lock|replicas)'/, 'a test app'],
  [/from '(pg|better-sqlite3|typeorm|@nestjs\/typeorm)'/, 'a database driver or TypeORM'],
  [
    /from '[./]*(src\/)?(app\.module|database\/[\w./-]+|cli\/cli\.module)'/,
    'the app or database module',
  ],
  [/process\.env(\.DATABASE_URL|\[['"]DATABASE_URL)/, 'the engine under test (DATABASE_URL)'],
  [/dist\/main|src\/main\.ts/, 'a server process'],
];

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return specFiles(path);
    return name.endsWith('.spec.ts') ? [path] : []; // not *.e2e-spec.ts
  });
}

/** The reasons `text` (a spec's source) would need a database; none for a unit spec. */
function databaseDoorsOf(text: string): string[] {
  // `import type` brings no code: an entity's type is not a connection.
  const code = text.replace(/^import type [^;]+;$/gm, '');
  return DATABASE_DOORS.filter(([pattern]) => pattern.test(code)).map(([, why]) => why);
}

describe('the unit project: *.spec.ts never touch a database', () => {
  // This file names the doors in its own examples, below.
  const files = [...specFiles(join(ROOT, 'src')), ...specFiles(join(ROOT, 'test'))].filter(
    (file) => file !== __filename,
  );

  it('finds the unit specs of src/ and test/', () => {
    expect(files.length).toBeGreaterThan(40);
    expect(files.some((f) => f.includes('/test/'))).toBe(true);
  });

  it('none imports a test app, a driver, the app or database module, or reads DATABASE_URL', () => {
    const offending = files.flatMap((file) =>
      databaseDoorsOf(readFileSync(file, 'utf8')).map(
        (why) => `${relative(ROOT, file)} reaches ${why}: name it *.e2e-spec.ts`,
      ),
    );
    expect(offending).toEqual([]);
  });

  it('would catch a misnamed file', () => {
    expect(databaseDoorsOf("import { createTestApp } from '../support/test-app';")).toEqual([
      'a test app',
    ]);
    expect(databaseDoorsOf("import { DataSource } from 'typeorm';")).toEqual([
      'a database driver or TypeORM',
    ]);
    expect(databaseDoorsOf("import { AppModule } from '../../src/app.module';")).toEqual([
      'the app or database module',
    ]);
    expect(databaseDoorsOf('const url = process.env.DATABASE_URL;')).toEqual([
      'the engine under test (DATABASE_URL)',
    ]);
    expect(databaseDoorsOf("import type { Repository } from 'typeorm';")).toEqual([]);
  });
});
