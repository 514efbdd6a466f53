import { DiamondsService } from '../../src/diamonds/diamonds.service';
import { RegistryService } from '../../src/registry/registry.service';
import { regressionMetrics } from '../../src/model-runtime/evaluation';
import { LinearFamily } from '../../src/model-runtime/families/linear.family';
import { stableHashSplit } from '../../src/model-runtime/split';
import { createTestApp, ENGINE, TestApp } from '../support/test-app';
import { ingestBatch, train } from '../support/training-helpers';

describe(`Refit on every row, honest metrics (${ENGINE})`, () => {
  let t: TestApp;

  beforeEach(async () => {
    t = await createTestApp({});
    await ingestBatch(t, 1);
  });
  afterEach(() => t.close());

  it('serves a model refit on every row, keeps the split model’s holdout figures and says which rows fitted it', async () => {
    const run = await train(t);
    const registry = t.app.get(RegistryService);
    const v1 = await registry.getVersion('linear', 1);
    expect(v1.lineage).toMatchObject({ fittedOn: 'all-rows', fittedRows: 1000 });
    expect(v1.metrics.trainRows).toBeLessThan(1000);

    const { rows } = await t.app.get(DiamondsService).snapshot();
    const split = stableHashSplit(rows);
    const family = new LinearFamily();
    const onAll = (await family.train(rows, { seed: 42, trials: 0 })).model;
    const onTrain = (await family.train(split.train, { seed: 42, trials: 0 })).model;
    const served = await registry.loadModel((await registry.findChampion('linear'))!);
    const actual = split.test.map((r) => r.price);
    // The artifact is the all-rows fit...
    expect(await served.predict(split.test)).toEqual(await onAll.predict(split.test));
    // ...while the recorded metrics are the split model's, never fitted on the holdout.
    expect(v1.metrics.mae).toBeCloseTo(
      regressionMetrics(actual, await onTrain.predict(split.test)).mae,
      6,
    );
    const flattering = regressionMetrics(actual, await served.predict(split.test)).mae;
    expect(flattering).not.toBeCloseTo(v1.metrics.mae, 3);
    expect(run.outcomes[0]).toMatchObject({ mae: v1.metrics.mae });
    for (const m of [onAll, onTrain, served]) m.dispose();
  });

  it('gates promotion on honest figures: the refit champion defends with its split model on the same rows', async () => {
    await train(t);
    const second = await train(t); // same data and seed: the same honest MAE, which does not beat
    const registry = t.app.get(RegistryService);
    const [v1, v2] = [
      await registry.getVersion('linear', 1),
      await registry.getVersion('linear', 2),
    ];
    expect(second.outcomes[0]).toMatchObject({ version: 2, promoted: false });
    expect(v2.comparison).toMatchObject({ championVersion: 1, promoted: false });
    expect(v2.comparison!.championMae).toBe(v1.metrics.mae);
    expect(v2.comparison!.candidateMae).toBe(v2.metrics.mae);
    expect(v2.comparison).toMatchObject({
      basis: 'paired-bootstrap',
      rows: v2.metrics.holdoutRows,
    });
    expect(v2.comparison!.reason).toContain('both split models');
  });
});
