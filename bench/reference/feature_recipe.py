"""The feature recipe of issue 21, in Python, beside the service in `npm run bench:accuracy`.

Usage: /usr/bin/python3 bench/reference/feature_recipe.py TRAIN_CSV EVAL_CSV [SEEDS]

Native XGBoost (`hist`, one thread, XGBoost's other defaults) on log(price), learning rate 0.03,
1,000 rounds, subsample 0.8, colsample_bytree 0.8, fitted on every row of TRAIN_CSV (cleaned like
the notebook: price > 0, x*y*z != 0) and scored on EVAL_CSV:
- `columns`: the nine columns, seed 0;
- `features`: the nine columns plus volume x*y*z, ln(carat), x/y and carat/volume (the service's
  `derived-v1` set, src/model-runtime/encoding/diamond-encoding.ts), seed 0;
- `features_seeds`: the same, the USD prices averaged over SEEDS seeds
  (0..SEEDS-1, default 5).
Prints one JSON object on stdout. Needs Debian's python3-xgboost, python3-sklearn; not used by
tests or CI.
"""
import csv
import json
import math
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, r2_score

CUTS = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
COLORS = ["J", "I", "H", "G", "F", "E", "D"]
CLARITIES = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
FEATURES = ["carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z"]
ROUNDS = 1000


def load(path, derived):
    codes = {"cut": CUTS, "color": COLORS, "clarity": CLARITIES}
    features, prices = [], []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            price = float(row["price"])
            x, y, z = (float(row[k]) for k in ("x", "y", "z"))
            if price <= 0 or x * y * z == 0:
                continue
            values = [codes[k].index(row[k]) if k in codes else float(row[k]) for k in FEATURES]
            if derived:
                carat, volume = float(row["carat"]), x * y * z
                values += [volume, math.log(carat), x / y, carat / volume]
            features.append(values)
            prices.append(price)
    return np.array(features, dtype=float), np.array(prices, dtype=float)


def fit(x, y, seed):
    return xgb.XGBRegressor(
        tree_method="hist",
        n_jobs=1,
        learning_rate=0.03,
        n_estimators=ROUNDS,
        subsample=0.8,
        colsample_bytree=0.8,
        random_state=seed,
    ).fit(x, np.log(y))


def scores(actual, predicted):
    return {
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
        "mape": float(mean_absolute_percentage_error(actual, predicted)),
    }


def main():
    train_csv, eval_csv = sys.argv[1], sys.argv[2]
    seeds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    out = {"versions": {"xgboost": xgb.__version__}, "seeds": seeds, "rounds": ROUNDS}
    x, y = load(train_csv, False)
    x_eval, y_eval = load(eval_csv, False)
    started = time.perf_counter()
    out["columns"] = scores(y_eval, np.exp(fit(x, y, 0).predict(x_eval)))
    out["columns_s"] = time.perf_counter() - started
    x, y = load(train_csv, True)
    x_eval, y_eval = load(eval_csv, True)
    out["train_rows"], out["eval_rows"] = len(y), len(y_eval)
    started = time.perf_counter()
    runs = []
    for seed in range(seeds):
        runs.append(np.exp(fit(x, y, seed).predict(x_eval)))
        if seed == 0:
            out["features"] = scores(y_eval, runs[0])
            out["features_s"] = time.perf_counter() - started
    out["features_seeds"] = scores(y_eval, np.mean(runs, axis=0))
    out["features_seeds_s"] = time.perf_counter() - started
    out["features_seed_maes"] = [float(mean_absolute_error(y_eval, r)) for r in runs]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
