import { loadXgboostRuntime, XGBOOST_MISSING, XgboostRuntime } from './xgboost-runtime';

function stepData(missingEvery = 0) {
  const rows = 300;
  const values = new Float32Array(rows);
  const labels = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const missing = missingEvery > 0 && i % missingEvery === 0;
    values[i] = missing ? XGBOOST_MISSING : i % 11;
    labels[i] = missing ? 100 : i % 11;
  }
  return { data: { values, rows, cols: 1 }, labels };
}

const column = (...values: number[]) => ({
  values: Float32Array.from(values),
  rows: values.length,
  cols: 1,
});

describe('XgboostRuntime', () => {
  let runtime: XgboostRuntime;
  const writes: string[] = [];
  const spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    const record = (chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    };
    spies.push(
      jest.spyOn(process.stdout, 'write').mockImplementation(record),
      jest.spyOn(process.stderr, 'write').mockImplementation(record),
      ...(['log', 'warn', 'error', 'info'] as const).map((method) =>
        jest
          .spyOn(console, method)
          .mockImplementation((...args: unknown[]) => void record(args.join(' '))),
      ),
    );
    runtime = await loadXgboostRuntime();
  });

  afterAll(() => spies.forEach((spy) => spy.mockRestore()));

  it('loads once per thread and keeps XGBoost quiet', async () => {
    expect(await loadXgboostRuntime()).toBe(runtime);
    const { data, labels } = stepData();
    const booster = runtime.createBooster(data, labels, {
      objective: 'reg:linear',
      tree_method: 'hist',
      max_depth: 3,
    });
    booster.boost(5);
    booster.predict(data);
    booster.free();
    expect(writes).toEqual([]);
    expect(
      process.listeners('uncaughtException').some((l) => l.toString().includes('ExitStatus')),
    ).toBe(false);
  });

  it('continues boosting across calls exactly as one long run', () => {
    const { data, labels } = stepData();
    const params = {
      objective: 'reg:linear',
      tree_method: 'hist',
      max_depth: 3,
      eta: 0.3,
      subsample: 0.7,
      seed: 5,
    };
    const once = runtime.createBooster(data, labels, params);
    const chunked = runtime.createBooster(data, labels, params);
    once.boost(20);
    chunked.boost(5);
    chunked.boost(15);
    expect(Array.from(chunked.predict(data))).toEqual(Array.from(once.predict(data)));
    once.free();
    chunked.free();
  });

  it('treats XGBOOST_MISSING as missing, not as a value', () => {
    // Rows with a missing value carry label 100; XGBoost learns a default branch for them.
    const { data, labels } = stepData(10);
    const booster = runtime.createBooster(data, labels, {
      objective: 'reg:linear',
      tree_method: 'exact',
      max_depth: 2,
      eta: 1,
      base_score: 0,
    });
    booster.boost(1);
    const [missing, belowRange, low] = booster.predict(column(XGBOOST_MISSING, -2, 0));
    expect(missing).toBeGreaterThan(90);
    expect(belowRange).toBeLessThan(10);
    expect(belowRange).toBe(low);
    booster.free();
  });

  it('saves and loads boosters that predict the same', () => {
    const { data, labels } = stepData();
    const booster = runtime.createBooster(data, labels, { objective: 'reg:linear', max_depth: 3 });
    booster.boost(10);
    const bytes = booster.save();
    const loaded = runtime.loadBooster(bytes, 1);
    expect(Array.from(loaded.predict(data))).toEqual(Array.from(booster.predict(data)));
    expect(Buffer.from(loaded.save()).equals(Buffer.from(bytes))).toBe(true);
    loaded.free();
    booster.free();
    booster.free();
    expect(() => booster.predict(data)).toThrow('freed');
  });

  it('refuses NaN instead of letting it abort the WebAssembly instance', () => {
    expect(() => runtime.createBooster(column(1, NaN), Float32Array.from([1, 2]), {})).toThrow(
      'finite',
    );
    expect(() => runtime.createBooster(column(1, 2), Float32Array.from([1, NaN]), {})).toThrow(
      'finite',
    );
    expect(runtime.healthy).toBe(true);
  });
});
