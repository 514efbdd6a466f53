import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DiamondFeatures } from '../../../src/diamonds/diamond-vocabulary';
import { encodeArtifact, readArtifact } from '../../../src/model-runtime/model-artifact';
import { TREE_FEATURE_SETS } from '../../../src/model-runtime/encoding/diamond-encoding';
import { XGBOOST_FIRST_TRIAL } from '../../../src/model-runtime/families/xgboost-search-space';
import { XgboostBlendFamily } from '../../../src/model-runtime/families/xgboost-blend.family';
import { XgboostLogFamily } from '../../../src/model-runtime/families/xgboost-log.family';
import { InvalidModelArtifactError } from '../../../src/model-runtime/model-family';
import { bundledRows } from '../../support/bundled-rows';

const FIXTURES = path.resolve(__dirname, '../../fixtures/artifacts');
/** Rows and the prices the nine-column artifacts gave them, written by the code before features. */
const recorded = JSON.parse(
  readFileSync(path.join(FIXTURES, 'nine-columns-prices.json'), 'utf8'),
) as {
  rows: DiamondFeatures[];
  'xgboost-log': number[];
  'xgboost-blend': number[];
};

describe('tree feature sets in artifacts', () => {
  it('an xgboost-log artifact written before derived features loads and prices as before, bit for bit', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'xgboost-log-nine-columns.bin'));
    expect(readArtifact(bytes).header.featureSet).toBeUndefined();
    const model = await new XgboostLogFamily().load(bytes);
    try {
      expect(await model.predict(recorded.rows)).toEqual(recorded['xgboost-log']);
      // Rows with missing measurements are among them (imputed, nine columns).
      expect(recorded.rows.some((row) => row.x === null)).toBe(true);
      expect(model.serialize().equals(bytes)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('a blend artifact written before derived features loads and prices as before, bit for bit', async () => {
    const bytes = readFileSync(path.join(FIXTURES, 'xgboost-blend-nine-columns.bin'));
    const model = await new XgboostBlendFamily().load(bytes);
    try {
      expect(await model.predict(recorded.rows)).toEqual(recorded['xgboost-blend']);
      expect(model.serialize().equals(bytes)).toBe(true);
    } finally {
      model.dispose();
    }
  });

  it('a new model records derived-v1, round-trips through its artifact, and prices rows with gaps', async () => {
    const family = new XgboostLogFamily();
    const quick = { ...XGBOOST_FIRST_TRIAL, n_estimators: 20 };
    const { model, params } = await family.train(bundledRows(400), {
      seed: 3,
      trials: 0,
      fixedParams: quick,
    });
    try {
      expect(params.feature_set).toBe('derived-v1');
      const artifact = model.serialize();
      const { header } = readArtifact(artifact);
      expect(header.featureSet).toBe('derived-v1');
      expect(header.features).toEqual(TREE_FEATURE_SETS['derived-v1']);
      const loaded = await family.load(artifact);
      try {
        const before = await model.predict(recorded.rows);
        expect(await loaded.predict(recorded.rows)).toEqual(before);
        expect(before.every((price) => Number.isFinite(price) && price > 0)).toBe(true);
        expect(loaded.serialize().equals(artifact)).toBe(true);
      } finally {
        loaded.dispose();
      }
      // The refit of these params keeps their set; the nine columns can still be asked for.
      const nine = await family.train(bundledRows(400), {
        seed: 3,
        trials: 0,
        fixedParams: { ...quick, feature_set: 'columns-v1' },
      });
      try {
        expect(readArtifact(nine.model.serialize()).header.featureSet).toBe('columns-v1');
        expect(await nine.model.predict(recorded.rows)).not.toEqual(
          await model.predict(recorded.rows),
        );
      } finally {
        nine.model.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  it('refuses an artifact naming an unknown feature set, or features that do not match its set', async () => {
    const family = new XgboostLogFamily();
    const bytes = readFileSync(path.join(FIXTURES, 'xgboost-log-nine-columns.bin'));
    const { header, body } = readArtifact(bytes);
    await expect(
      family.load(encodeArtifact({ ...header, featureSet: 'derived-v9' }, body)),
    ).rejects.toThrow(InvalidModelArtifactError);
    await expect(
      family.load(encodeArtifact({ ...header, featureSet: 'derived-v1' }, body)),
    ).rejects.toThrow(InvalidModelArtifactError);
  });
});
