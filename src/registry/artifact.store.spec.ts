import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/app-config';
import { ArtifactStore } from './artifact.store';
import type { ArtifactKind } from './entities/model-artifact.entity';
import type { NewArtifact, RegistryRepository } from './registry.repository';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The repository's artifact methods over a Map: the table without a database. */
function fakeRepository(legacy: { family: string; version: number; sha256: string }[] = []) {
  const rows = new Map<string, { bytes: Buffer; sha256: string }>();
  let reads = 0;
  const key = (f: string, v: number, k: ArtifactKind) => `${f}/${v}/${k}`;
  const repo = {
    findArtifact: (f: string, v: number, k: ArtifactKind) => {
      reads++;
      return Promise.resolve(rows.get(key(f, v, k)) ?? null);
    },
    insertArtifactIfAbsent: (f: string, v: number, a: NewArtifact) => {
      if (!rows.has(key(f, v, a.kind))) rows.set(key(f, v, a.kind), a);
      return Promise.resolve();
    },
    artifactsNotStored: () =>
      Promise.resolve(
        legacy
          .filter((l) => !rows.has(key(l.family, l.version, 'served')))
          .map((l) => ({
            ...l,
            kind: 'served',
            path: ArtifactStore.pathOf(l.family, l.version, 'served'),
          })),
      ),
  };
  return { repo: repo as unknown as RegistryRepository, rows, reads: () => reads };
}

describe('ArtifactStore', () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(join(tmpdir(), 'artifacts-'))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const storeOn = (repo: RegistryRepository, dir = root) =>
    new ArtifactStore(loadConfig({ ARTIFACTS_DIR: dir }), repo);

  it('caches a registered version (model and metadata) without leaving a temporary folder', async () => {
    const { repo } = fakeRepository();
    const store = storeOn(repo);
    const served = store.digest('served', Buffer.from('model bytes'));
    expect(served.sha256).toBe(sha('model bytes'));
    await store.cacheVersion('linear', 1, served, { note: 'x' });
    expect(readFileSync(join(root, 'linear', '1', 'model.bin'), 'utf8')).toBe('model bytes');
    expect(
      JSON.parse(readFileSync(join(root, 'linear', '1', 'metadata.json'), 'utf8')),
    ).toMatchObject({ family: 'linear', version: 1, sha256: served.sha256, note: 'x' });
    expect(readdirSync(join(root, 'linear'))).toEqual(['1']);
  });

  it('moves a cached folder of the same version aside instead of deleting it', async () => {
    mkdirSync(join(root, 'xgboost', '3'), { recursive: true });
    writeFileSync(join(root, 'xgboost', '3', 'model.bin'), 'someone else');
    const store = storeOn(fakeRepository().repo);
    await store.cacheVersion('xgboost', 3, store.digest('served', Buffer.from('mine')), {});
    expect(readFileSync(join(root, 'xgboost', '3', 'model.bin'), 'utf8')).toBe('mine');
    const aside = readdirSync(join(root, 'xgboost')).filter((n) => n.startsWith('.replaced-3-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(root, 'xgboost', aside[0], 'model.bin'), 'utf8')).toBe('someone else');
  });

  it('loads from the database into an empty cache, then from the cache', async () => {
    const { repo, rows, reads } = fakeRepository();
    rows.set('linear/2/served', { bytes: Buffer.from('v2'), sha256: sha('v2') });
    rows.set('linear/2/split', { bytes: Buffer.from('v2 split'), sha256: sha('v2 split') });
    const store = storeOn(repo);
    expect((await store.load('linear', 2, 'served', sha('v2'))).toString()).toBe('v2');
    expect((await store.load('linear', 2, 'split')).toString()).toBe('v2 split');
    expect(readFileSync(join(root, 'linear', '2', 'model.bin'), 'utf8')).toBe('v2');
    expect(readFileSync(join(root, 'linear', '2-split', 'model.bin'), 'utf8')).toBe('v2 split');
    const before = reads();
    expect((await store.load('linear', 2, 'served', sha('v2'))).toString()).toBe('v2');
    expect(reads()).toBe(before);
  });

  it('reads a cached file that does not match its sha256 again from the database', async () => {
    const { repo, rows } = fakeRepository();
    rows.set('linear/1/served', { bytes: Buffer.from('good'), sha256: sha('good') });
    mkdirSync(join(root, 'linear', '1'), { recursive: true });
    writeFileSync(join(root, 'linear', '1', 'model.bin'), 'tampered');
    const store = storeOn(repo);
    expect((await store.load('linear', 1, 'served', sha('good'))).toString()).toBe('good');
    expect(readFileSync(join(root, 'linear', '1', 'model.bin'), 'utf8')).toBe('good');
  });

  it('refuses stored bytes that do not match the recorded sha256, and a missing artifact', async () => {
    const { repo, rows } = fakeRepository();
    rows.set('linear/1/served', { bytes: Buffer.from('flipped'), sha256: sha('good') });
    rows.set('linear/2/served', { bytes: Buffer.from('good'), sha256: sha('good') });
    const store = storeOn(repo);
    await expect(store.load('linear', 1, 'served', sha('good'))).rejects.toThrow(
      /linear\/1\/model\.bin is corrupt: sha256 .* does not match/,
    );
    // The row's own checksum matches, the registry's does not: refused too.
    await expect(store.load('linear', 2, 'served', sha('other'))).rejects.toThrow(/corrupt/);
    await expect(store.load('linear', 3, 'served', sha('x'))).rejects.toThrow(
      /linear\/3\/model\.bin is missing/,
    );
  });

  it('imports the files of versions registered before the table, and names those it cannot', async () => {
    const legacy = [
      { family: 'linear', version: 1, sha256: sha('one') },
      { family: 'linear', version: 2, sha256: sha('two') },
      { family: 'xgboost', version: 1, sha256: sha('three') },
    ];
    const { repo, rows } = fakeRepository(legacy);
    mkdirSync(join(root, 'linear', '1'), { recursive: true });
    mkdirSync(join(root, 'linear', '2'), { recursive: true });
    writeFileSync(join(root, 'linear', '1', 'model.bin'), 'one');
    writeFileSync(join(root, 'linear', '2', 'model.bin'), 'not two');
    const store = storeOn(repo);
    expect(await store.importFromDisk()).toEqual({
      imported: 1,
      missing: [
        `linear v2 served (${join('linear', '2', 'model.bin')})`,
        `xgboost v1 served (${join('xgboost', '1', 'model.bin')})`,
      ],
    });
    expect(rows.get('linear/1/served')?.bytes.toString()).toBe('one');
    expect(await store.importFromDisk()).toMatchObject({ imported: 0 });
  });

  it('verifies an artifact once, then again only when its cached file changed', async () => {
    const { repo, rows, reads } = fakeRepository();
    rows.set('linear/1/served', { bytes: Buffer.from('v1'), sha256: sha('v1') });
    const store = storeOn(repo);
    await store.verify('linear', 1, 'served', sha('v1'));
    const after = reads();
    await store.verify('linear', 1, 'served', sha('v1'));
    expect(reads()).toBe(after);
    rows.delete('linear/1/served');
    rmSync(join(root, 'linear', '1', 'model.bin'));
    await expect(store.verify('linear', 1, 'served', sha('v1'))).rejects.toThrow(
      /linear\/1\/model\.bin is missing/,
    );
  });

  it('works without a cache folder (ARTIFACTS_DIR empty)', async () => {
    const { repo, rows } = fakeRepository();
    rows.set('linear/1/served', { bytes: Buffer.from('v1'), sha256: sha('v1') });
    const store = storeOn(repo, '');
    await store.cacheVersion('linear', 1, store.digest('served', Buffer.from('v1')), {});
    expect((await store.load('linear', 1, 'served', sha('v1'))).toString()).toBe('v1');
  });
});
