"""The data scientist's recipe, in Python, as the yardstick of `npm run bench:accuracy`.

Usage: /usr/bin/python3 bench/reference/notebook_xgboost.py TRAIN_CSV EVAL_CSV [TRIALS]

TRAIN_CSV is cleaned like the notebook (price > 0, x*y*z != 0), split by scikit-learn
(test_size=0.2, random_state=42); Optuna TPE (seed 42) searches the notebook's space for the
lowest MAE on the 20 % part with native XGBoost (`hist`, one thread), 100 trials, one at a
time. Then:
- `xgboost`: the best parameters fitted on the 80 % part, on price (the notebook's model);
- `xgboost-log`: the same search on log(price), refitted on every row of TRAIN_CSV.
Both score EVAL_CSV (rows the service never saw). Prints one JSON object on stdout.
Needs Debian's python3-sklearn, python3-xgboost, python3-optuna; not used by tests or CI.
"""
import json
import sys
import time

import csv

import numpy as np
import optuna
import xgboost as xgb
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error, r2_score
from sklearn.model_selection import train_test_split

CUTS = ["Fair", "Good", "Very Good", "Premium", "Ideal"]
COLORS = ["J", "I", "H", "G", "F", "E", "D"]
CLARITIES = ["I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF"]
FEATURES = ["carat", "cut", "color", "clarity", "depth", "table", "x", "y", "z"]


def load(path):
    codes = {"cut": CUTS, "color": COLORS, "clarity": CLARITIES}
    features, prices = [], []
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            price = float(row["price"])
            x, y, z = (float(row[k]) for k in ("x", "y", "z"))
            if price <= 0 or x * y * z == 0:
                continue
            features.append(
                [codes[k].index(row[k]) if k in codes else float(row[k]) for k in FEATURES]
            )
            prices.append(price)
    return np.array(features, dtype=float), np.array(prices, dtype=float)


def space(trial):
    return {
        "lambda": trial.suggest_float("lambda", 1e-8, 1.0, log=True),
        "alpha": trial.suggest_float("alpha", 1e-8, 1.0, log=True),
        "colsample_bytree": trial.suggest_categorical("colsample_bytree", [0.3, 0.4, 0.5, 0.7]),
        "subsample": trial.suggest_categorical("subsample", [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
        "learning_rate": trial.suggest_float("learning_rate", 1e-8, 1.0, log=True),
        "n_estimators": trial.suggest_int("n_estimators", 100, 1000),
        "max_depth": trial.suggest_int("max_depth", 3, 9),
        "min_child_weight": trial.suggest_int("min_child_weight", 1, 10),
    }


def model(params):
    # One thread: deterministic, and the fastest on a loaded 2-core machine.
    return xgb.XGBRegressor(tree_method="hist", random_state=42, n_jobs=1, **params)


def search(x_train, y_train, x_valid, y_valid_usd, log_target, trials):
    def objective(trial):
        fitted = model(space(trial)).fit(x_train, np.log(y_train) if log_target else y_train)
        predicted = fitted.predict(x_valid)
        return mean_absolute_error(y_valid_usd, np.exp(predicted) if log_target else predicted)

    study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=42))
    study.optimize(objective, n_trials=trials)
    return study.best_params


def scores(actual, predicted):
    return {
        "mae": float(mean_absolute_error(actual, predicted)),
        "r2": float(r2_score(actual, predicted)),
        "mape": float(mean_absolute_percentage_error(actual, predicted)),
    }


def main():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    train_csv, eval_csv = sys.argv[1], sys.argv[2]
    trials = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    x, y = load(train_csv)
    x_eval, y_eval = load(eval_csv)
    x_train, x_valid, y_train, y_valid = train_test_split(x, y, test_size=0.2, random_state=42)
    out = {"trials": trials, "versions": {"xgboost": xgb.__version__, "optuna": optuna.__version__}}

    started = time.perf_counter()
    best = search(x_train, y_train, x_valid, y_valid, False, trials)
    out["xgboost_search_s"] = time.perf_counter() - started
    fitted = model(best).fit(x_train, y_train)
    out["xgboost"] = scores(y_eval, fitted.predict(x_eval))

    started = time.perf_counter()
    best_log = search(x_train, y_train, x_valid, y_valid, True, trials)
    out["xgboost_log_search_s"] = time.perf_counter() - started
    refit = model(best_log).fit(x, np.log(y))
    out["xgboost_log_refit"] = scores(y_eval, np.exp(refit.predict(x_eval)))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
