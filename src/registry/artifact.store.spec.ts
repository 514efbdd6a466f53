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
    const stored = await store.write('linear', 1, 'served', model, { note: 'x' });
    expect(stored).toEqual({
      path: join('linear', '1', 'model.bin'),
      size: model.length,
      sha256: createHash('sha256').update(model).digest('hex'),
    });
    expect(
      JSON.parse(readFileSync(join(root, 'linear', '1', 'metadata.json'), 'utf8')),
    ).toMatchObject({
      family: 'linear',
      version: 1,
      kind: 'served',
      sha256: stored.sha256,
      note: 'x',
    });
    expect(await store.read(stored.path, stored.sha256)).toEqual(model);
    await expect(store.read(stored.path, '0'.repeat(64))).rejects.toThrow(/corrupt/);
    // No temporary folder is left behind.
    expect(readdirSync(join(root, 'linear'))).toEqual(['1']);
  });

  it("keeps a version's split model beside its served model", async () => {
    const served = await store.write('linear', 2, 'served', Buffer.from('refit on every row'), {});
    const split = await store.write('linear', 2, 'split', Buffer.from('training side only'), {});
    expect(split.path).toBe(join('linear', '2-split', 'model.bin'));
    expect((await store.read(served.path, served.sha256)).toString()).toBe('refit on every row');
    expect((await store.read(split.path, split.sha256)).toString()).toBe('training side only');
    expect(
      JSON.parse(readFileSync(join(root, 'linear', '2-split', 'metadata.json'), 'utf8')),
    ).toMatchObject({ version: 2, kind: 'split' });
    expect(readdirSync(join(root, 'linear')).sort()).toEqual(['2', '2-split']);
  });

  it('moves an unregistered folder in the way aside instead of deleting it', async () => {
    mkdirSync(join(root, 'xgboost', '3'), { recursive: true });
    writeFileSync(join(root, 'xgboost', '3', 'model.bin'), 'someone else');
    await store.write('xgboost', 3, 'served', Buffer.from('mine'), {});
    expect(readFileSync(join(root, 'xgboost', '3', 'model.bin'), 'utf8')).toBe('mine');
    const aside = readdirSync(join(root, 'xgboost')).filter((n) => n.startsWith('.replaced-3-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(root, 'xgboost', aside[0], 'model.bin'), 'utf8')).toBe('someone else');
  });
});
