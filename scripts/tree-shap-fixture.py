"""Adds XGBoost's own pred_contribs to test/fixtures/tree-shap/fixture.json (see
scripts/tree-shap-fixture.ts, which writes the booster and rows first). Needs the Python xgboost
package 1.7 (/usr/bin/python3 here); nothing in the project or CI runs this."""
import base64
import json
import os

import numpy as np
import xgboost

PATH = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'tree-shap', 'fixture.json')

with open(PATH) as f:
    fixture = json.load(f)

booster = xgboost.Booster()
booster.load_model(bytearray(base64.b64decode(fixture['booster'])))
rows = np.array(fixture['rows'], dtype=np.float32)
matrix = xgboost.DMatrix(rows, missing=fixture['missing'])
contribs = booster.predict(matrix, pred_contribs=True)
fixture['xgboostVersion'] = xgboost.__version__
fixture['predictions'] = [float(v) for v in booster.predict(matrix, output_margin=True)]
# One row per diamond: a value per feature, then the bias (the last column).
fixture['contribs'] = [[float(v) for v in row] for row in contribs]
with open(PATH, 'w') as f:
    json.dump(fixture, f, indent=1)
    f.write('\n')
print('wrote', PATH, 'with xgboost', xgboost.__version__)
