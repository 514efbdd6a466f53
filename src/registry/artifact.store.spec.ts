import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
import { ArtifactStore } from './artifact.store';

describe('ArtifactStore', () => {
  let root: string;
  let store: ArtifactStore;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'artifacts-'));
    store = new ArtifactStore(loadConfig({ ARTIFACTS_DIR: root }));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the model and its metadata, and reads the model back checked by sha256', async () => {
    const model = Buffer.from('model bytes');
    const stored = await store.write('linear', 1, model, { note: 'x' });
    expect(stored).toEqual({
      path: join('linear', '1', 'model.bin'),
      size: model.length,
      sha256: createHash('sha256').update(model).digest('hex'),
    });
    expect(
      JSON.parse(readFileSync(join(root, 'linear', '1', 'metadata.json'), 'utf8')),
    ).toMatchObject({ family: 'linear', version: 1, sha256: stored.sha256, note: 'x' });
    expect(await store.read(stored.path, stored.sha256)).toEqual(model);
    await expect(store.read(stored.path, '0'.repeat(64))).rejects.toThrow(/corrupt/);
    // No temporary folder is left behind.
    expect(readdirSync(join(root, 'linear'))).toEqual(['1']);
  });

  it('moves an unregistered folder in the way aside instead of deleting it', async () => {
    mkdirSync(join(root, 'xgboost', '3'), { recursive: true });
    writeFileSync(join(root, 'xgboost', '3', 'model.bin'), 'someone else');
    await store.write('xgboost', 3, Buffer.from('mine'), {});
    expect(readFileSync(join(root, 'xgboost', '3', 'model.bin'), 'utf8')).toBe('mine');
    const aside = readdirSync(join(root, 'xgboost')).filter((n) => n.startsWith('.replaced-3-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(root, 'xgboost', aside[0], 'model.bin'), 'utf8')).toBe('someone else');
  });
});
