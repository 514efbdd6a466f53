import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The arrows of docs/architecture.md, checked on every import of src/ (specs included): a
 * folder may import only from the folders it is allowed to depend on.
 */
const SRC = resolve(__dirname, '../../src');

/** Top-level folder of src/ → the top-level folders its files may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  config: ['common/byte-size', 'diamonds/diamond-vocabulary'],
  database: ['config', 'common'],
  common: ['config'],
  'model-runtime': [
    'config',
    'common',
    'diamonds/diamond-vocabulary',
    'diamonds/diamond-row.validator',
  ],
  diamonds: ['config', 'common', 'database'],
  registry: ['config', 'common', 'database', 'diamonds', 'model-runtime'],
  training: ['config', 'common', 'database', 'diamonds', 'model-runtime', 'registry'],
  prediction: ['config', 'common', 'database', 'diamonds', 'model-runtime', 'registry', 'outcomes'],
  outcomes: ['config', 'common', 'database', 'diamonds'],
  audit: ['config', 'common', 'database'],
  nightly: ['config', 'audit', 'training'],
  cli: ['config', 'common', 'database', 'diamonds', 'model-runtime', 'registry', 'training'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specifiers.map((s) => relative(SRC, resolve(dirname(file), s)));
}

describe('the layers of src/ (docs/architecture.md)', () => {
  it.each(Object.keys(ALLOWED))('%s/ imports only from the layers below it', (folder) => {
    const allowed = ALLOWED[folder];
    const offending = sourceFiles(join(SRC, folder)).flatMap((file) =>
      importsOf(file)
        .filter((target) => !target.startsWith(`${folder}/`) && !target.startsWith('..'))
        .filter((target) => !allowed.some((a) => target === a || target.startsWith(`${a}/`)))
        .map((target) => `${relative(SRC, file)} → ${target}`),
    );
    expect(offending).toEqual([]);
  });
});
