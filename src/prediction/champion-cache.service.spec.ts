import { Logger } from '@nestjs/common';
import { Subject } from 'rxjs';
import { DomainError, ErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { DiamondFeatures } from '../diamonds/diamond-vocabulary';
import { FamilySummary, ModelCatalog, ModelVersionInfo } from '../registry/model-catalog';
import { FittedModel, ModelDisposedError } from '../model-runtime/model-family';
import { Explanation } from '../model-runtime/explanation/explanation';
import { ChampionCache, MAX_EXTRA_MODELS } from './champion-cache.service';

/** A model that prices every diamond at `1000 * id` dollars, so the answer names the version. */
class FakeModel implements FittedModel {
  readonly params = {};
  disposed = false;
  constructor(
    readonly family: string,
    readonly id: number,
  ) {}
  async predict(rows: readonly DiamondFeatures[]): Promise<number[]> {
    if (this.disposed) throw new ModelDisposedError(this.family);
    return rows.map(() => 1000 * this.id);
  }
  async explain(rows: readonly DiamondFeatures[]): Promise<Explanation[]> {
    const prices = await this.predict(rows);
    return prices.map((price) => ({ price, baseline: price, contributions: [] }));
  }
  serialize(): Buffer {
    return Buffer.alloc(0);
  }
  dispose(): void {
    this.disposed = true;
  }
}

const info = (id: number, family: string, version: number, mae = 100): ModelVersionInfo => ({
  id,
  family,
  version,
  status: 'candidate',
  createdAt: new Date(0),
  metrics: { r2: 0.9, mae, rmse: mae, mape: 0.1, trainRows: 10, holdoutRows: 2 },
  params: {},
  trainingRunId: null,
  artifactSha256: 'x',
  calibration: null,
});

/** An in-memory registry: versions, champions, a revision bumped by every move. */
class FakeCatalog extends ModelCatalog {
  readonly aliasMoved$ = new Subject<void>();
  versions: ModelVersionInfo[] = [];
  champions = new Map<string, number>();
  revision = 0;
  calls = { revision: 0, families: 0, default: 0, find: 0, load: 0 };
  loaded: FakeModel[] = [];
  failLoads = 0;

  constructor(readonly families: string[]) {
    super();
  }
  add(v: ModelVersionInfo): ModelVersionInfo {
    this.versions.push(v);
    return v;
  }
  /** Moves an alias as another instance would: the revision changes, nothing is emitted here. */
  moveQuietly(family: string, id: number): void {
    this.champions.set(family, id);
    this.revision++;
  }
  move(family: string, id: number): void {
    this.moveQuietly(family, id);
    this.aliasMoved$.next();
  }
  private champion(family: string): ModelVersionInfo | null {
    const id = this.champions.get(family);
    return this.versions.find((v) => v.id === id) ?? null;
  }
  async listFamilies(): Promise<FamilySummary[]> {
    this.calls.families++;
    return this.families.map((family) => ({
      family,
      description: family,
      champion: this.champion(family),
      versions: 0,
    }));
  }
  async findVersion(family: string, version: number): Promise<ModelVersionInfo | null> {
    this.calls.find++;
    return this.versions.find((v) => v.family === family && v.version === version) ?? null;
  }
  async findChampion(family: string): Promise<ModelVersionInfo | null> {
    return this.champion(family);
  }
  async defaultChampion(): Promise<ModelVersionInfo | null> {
    this.calls.default++;
    const all = this.families
      .map((f) => this.champion(f))
      .filter((v): v is ModelVersionInfo => v !== null);
    return all.sort((a, b) => a.metrics.mae - b.metrics.mae)[0] ?? null;
  }
  async aliasRevision(): Promise<number> {
    this.calls.revision++;
    return this.revision;
  }
  async listVersions(): Promise<ModelVersionInfo[]> {
    return [];
  }
  async holdoutSample(): Promise<{ actual: number; predicted: number }[]> {
    return [];
  }
  async trialsByFamilyAndState(): Promise<never[]> {
    return [];
  }
  async verifyArtifact(): Promise<void> {}
  async loadModel(v: ModelVersionInfo): Promise<FittedModel> {
    this.calls.load++;
    if (this.failLoads > 0) {
      this.failLoads--;
      throw new Error('artifact missing');
    }
    const model = new FakeModel(v.family, v.id);
    this.loaded.push(model);
    return model;
  }
}

const config = (pollMs: number) => Object.assign(new AppConfig(), { CHAMPION_POLL_MS: pollMs });
const row: DiamondFeatures = {
  carat: 0.5,
  cut: 'Ideal',
  color: 'G',
  clarity: 'VS1',
  depth: null,
  table: null,
  x: 5,
  y: null,
  z: null,
};
const priceWith = async (cache: ChampionCache, family?: string, version?: number) => {
  const { info: v, model } = await cache.resolve(family, version);
  return { family: v.family, version: v.version, price: (await model.predict([row]))[0] };
};
const domainCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (err: unknown) => (err instanceof DomainError ? err.code : `not a DomainError: ${String(err)}`),
  );

describe('ChampionCache', () => {
  let catalog: FakeCatalog;
  let cache: ChampionCache;

  beforeAll(() => Logger.overrideLogger(false));
  beforeEach(() => {
    catalog = new FakeCatalog(['linear', 'xgboost']);
  });
  afterEach(() => cache?.beforeApplicationShutdown());

  const start = async (pollMs = 60_000) => {
    cache = new ChampionCache(catalog, config(pollMs));
    await cache.onApplicationBootstrap();
  };

  it('answers 503 MODEL_UNAVAILABLE before any champion exists, then serves the first one', async () => {
    await start();
    await expect(domainCode(cache.resolve())).resolves.toBe(ErrorCode.ModelUnavailable);
    await expect(cache.resolve()).rejects.toThrow(/No model is available yet/);
    catalog.add(info(1, 'linear', 1));
    catalog.move('linear', 1);
    await expect(priceWith(cache)).resolves.toEqual({ family: 'linear', version: 1, price: 1000 });
  });

  it('chooses the default champion, a family champion, or an exact version', async () => {
    catalog.add(info(1, 'linear', 1, 300));
    catalog.add(info(2, 'xgboost', 1, 200));
    catalog.add(info(3, 'xgboost', 2, 250));
    catalog.champions.set('linear', 1).set('xgboost', 2);
    await start();
    await expect(priceWith(cache)).resolves.toEqual({ family: 'xgboost', version: 1, price: 2000 });
    await expect(priceWith(cache, 'linear')).resolves.toEqual({
      family: 'linear',
      version: 1,
      price: 1000,
    });
    await expect(priceWith(cache, 'xgboost', 2)).resolves.toEqual({
      family: 'xgboost',
      version: 2,
      price: 3000,
    });
  });

  it('refuses an unknown family (listing the known ones), a family without champion, a missing version', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.champions.set('linear', 1);
    await start();
    const unknown = cache.resolve('forest');
    await expect(domainCode(unknown)).resolves.toBe(ErrorCode.ValidationFailed);
    await expect(cache.resolve('forest')).rejects.toThrow(
      'model.family must be one of: linear, xgboost; got "forest"',
    );
    await expect(domainCode(cache.resolve('xgboost'))).resolves.toBe(ErrorCode.ModelUnavailable);
    await expect(domainCode(cache.resolve('linear', 7))).resolves.toBe(ErrorCode.NotFound);
    await expect(cache.resolve('linear', 7)).rejects.toThrow('The linear family has no version 7');
  });

  it('makes no catalog call per request once the champions are known', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.add(info(2, 'linear', 2));
    catalog.champions.set('linear', 1);
    await start();
    await priceWith(cache, 'linear', 2);
    const before = { ...catalog.calls };
    for (let i = 0; i < 50; i++) {
      await priceWith(cache);
      await priceWith(cache, 'linear');
      await priceWith(cache, 'linear', 2);
    }
    expect(catalog.calls).toEqual(before);
  });

  it('prices the very next request with the champion promoted in this process and disposes the old one', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.add(info(2, 'linear', 2));
    catalog.champions.set('linear', 1);
    await start();
    await expect(priceWith(cache)).resolves.toMatchObject({ version: 1 });
    const old = catalog.loaded.find((m) => m.id === 1)!;
    catalog.move('linear', 2);
    // No waiting: the request itself waits for the reload the move started.
    await expect(priceWith(cache)).resolves.toMatchObject({
      family: 'linear',
      version: 2,
      price: 2000,
    });
    expect(old.disposed).toBe(true);
    expect(cache.loadedVersionIds()).toEqual([2]);
  });

  it('picks up a champion moved by another instance by polling the alias revision', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.add(info(2, 'linear', 2));
    catalog.champions.set('linear', 1);
    await start(100);
    catalog.moveQuietly('linear', 2);
    await expect(priceWith(cache)).resolves.toMatchObject({ version: 1 });
    const deadline = Date.now() + 2000;
    let served = 1;
    while (served !== 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      served = (await priceWith(cache)).version;
    }
    expect(served).toBe(2);
  });

  it(`keeps at most ${MAX_EXTRA_MODELS} versions asked for by number, disposing the least recently used`, async () => {
    for (let v = 1; v <= MAX_EXTRA_MODELS + 3; v++) catalog.add(info(v, 'xgboost', v));
    catalog.champions.set('xgboost', 1);
    await start();
    for (let v = 2; v <= MAX_EXTRA_MODELS + 3; v++) await priceWith(cache, 'xgboost', v);
    // Champion 1 stays; of 2..7 the two least recently used (2, 3) are gone.
    expect(cache.loadedVersionIds()).toEqual([1, 4, 5, 6, 7]);
    expect(catalog.loaded.filter((m) => m.disposed).map((m) => m.id)).toEqual([2, 3]);
    // Asking again for an unloaded version loads it again and still answers right.
    await expect(priceWith(cache, 'xgboost', 2)).resolves.toMatchObject({
      version: 2,
      price: 2000,
    });
  });

  it('retries a model whose load failed on the next request', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.champions.set('linear', 1);
    catalog.failLoads = 2; // the eager load at start and the first request
    await start();
    // 503 MODEL_UNAVAILABLE naming the version and the reason, never a 500.
    await expect(cache.resolve()).rejects.toMatchObject({
      code: ErrorCode.ModelUnavailable,
      message: 'The model linear v1 cannot be loaded: artifact missing',
      details: [{ field: 'model', rules: { loadable: 'artifact missing' }, value: 'linear v1' }],
    });
    await expect(priceWith(cache)).resolves.toMatchObject({ version: 1 });
  });

  it('disposes every model at shutdown', async () => {
    catalog.add(info(1, 'linear', 1));
    catalog.add(info(2, 'xgboost', 1));
    catalog.champions.set('linear', 1).set('xgboost', 2);
    await start();
    await cache.beforeApplicationShutdown();
    expect(catalog.loaded.map((m) => m.disposed)).toEqual([true, true]);
  });
});
