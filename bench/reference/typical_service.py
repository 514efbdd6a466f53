"""A typical FastAPI + native XGBoost pricing service, the yardstick of `npm run bench:api` (issue 12).

Usage: /usr/bin/python3 bench/reference/typical_service.py (configured by the environment)
  REF_PORT        loopback port to listen on
  REF_MODEL_DIR   model.json + the booster files the bench extracted from our champion artifact
  REF_DATASET     the bundled data/diamonds.csv
  DATABASE_URL    PostgreSQL; REF_AUDIT_SCHEMA: the schema of its audit table (the bench drops it)

Written the usual way: one uvicorn worker with default settings (uvloop and httptools when they
are installed, as `uvicorn[standard]` brings them; else asyncio and h11), pydantic request models with
our API's fields and bounds (FIELD_BOUNDS), plain `def` endpoints (FastAPI runs them on its
thread pool), the model and the dataset in memory (native XGBoost, pandas), and every request
with its response INSERTed into PostgreSQL by psycopg2 and committed before the answer leaves
(a pool of ten connections, blocking when all are busy, as SQLAlchemy's default pool does).
  POST /v1/prices            the price of one diamond by our default model: the blend's boosters
                             (XGBoost 0.7 binaries, loaded by XGBoost 1.7), features encoded like
                             diamond-encoding.ts after measurement-imputer.ts's filling, parts
                             weighted, log-price parts exp'ed
  GET /v1/similar-diamonds   the n rows of the dataset with that cut, color and clarity and the
                             closest carat (ties: the smaller carat, then the lower id)
Needs Debian's python3-fastapi, python3-uvicorn, python3-psycopg2, python3-xgboost and
python3-pandas (python3-uvloop and python3-httptools for uvicorn[standard]'s speed); not used by
the service, its tests or CI.
"""
import importlib.util
import json
import math
import os
import queue
import time
import uuid
from contextlib import contextmanager
from typing import Literal, Optional

import fastapi
import numpy as np
import pandas as pd
import psycopg2
import pydantic
import uvicorn
import xgboost as xgb
from fastapi import FastAPI, Query
from psycopg2.extras import Json
from pydantic import BaseModel, confloat

CUTS = ("Fair", "Good", "Very Good", "Premium", "Ideal")
COLORS = ("J", "I", "H", "G", "F", "E", "D")
CLARITIES = ("I1", "SI2", "SI1", "VS2", "VS1", "VVS2", "VVS1", "IF")
MISSING = -1.0  # XGBoost's missing marker in our encoding

Carat = confloat(gt=0, le=10)
Measurement = confloat(gt=0, le=100)


class Diamond(BaseModel):
    carat: Carat
    cut: Literal[CUTS]
    color: Literal[COLORS]
    clarity: Literal[CLARITIES]
    depth: Optional[confloat(ge=40, le=80)] = None
    table: Optional[confloat(ge=40, le=100)] = None
    x: Optional[Measurement] = None
    y: Optional[Measurement] = None
    z: Optional[Measurement] = None


def load_model(folder):
    with open(os.path.join(folder, "model.json")) as handle:
        spec = json.load(handle)
    parts = []
    for part in spec["parts"]:
        booster = xgb.Booster(model_file=os.path.join(folder, part["file"]))
        parts.append((booster, part["weight"], part["target"] == "log-price"))
    return spec, parts


def impute(d, imputation):
    """measurement-imputer.ts: fill missing measurements from the known ones."""
    x, y, z, depth, table = d.x, d.y, d.z, d.depth, d.table
    if None not in (x, y, z, depth, table):
        return x, y, z, depth, table
    if x is None:
        fit = imputation["xFromCarat"]
        x = y / imputation["yOverX"] if y is not None else math.exp(
            fit["intercept"] + fit["slope"] * math.log(d.carat)
        )
    y = y if y is not None else x * imputation["yOverX"]
    girdle = (x + y) / 2
    if z is None:
        z = depth / 100 * girdle if depth is not None else imputation["zOverGirdle"] * girdle
    if depth is None:
        depth = 100 * z / girdle if d.z is not None else imputation["depth"]
    table = table if table is not None else imputation["table"]
    return x, y, z, depth, table


def price_of(d):
    x, y, z, depth, table = impute(d, SPEC["imputation"])
    row = [d.carat, CUTS.index(d.cut), COLORS.index(d.color), CLARITIES.index(d.clarity)]
    row += [depth, table, x, y, z]
    if SPEC.get("featureSet", "columns-v1") == "derived-v1":
        # diamond-encoding.ts: volume, ln(carat), x/y, carat/volume after the nine columns
        volume = x * y * z
        row += [volume, math.log(d.carat), x / y, d.carat / volume]
    features = np.array([row], dtype=np.float32)
    matrix = xgb.DMatrix(features, missing=MISSING)
    total = 0.0
    for booster, weight, log_target in PARTS:
        raw = float(booster.predict(matrix)[0])
        total += weight * (math.exp(raw) if log_target else raw)
    return round(total, 2)


xgb.set_config(verbosity=0)  # quiet: loading 0.7 models warns of their age (errors still raise)
SPEC, PARTS = load_model(os.environ["REF_MODEL_DIR"])
DATASET = pd.read_csv(os.environ["REF_DATASET"])
DATASET.insert(0, "id", range(1, len(DATASET) + 1))
SCHEMA = os.environ["REF_AUDIT_SCHEMA"]
POOL = queue.LifoQueue()
for _ in range(10):
    POOL.put(psycopg2.connect(os.environ["DATABASE_URL"]))


@contextmanager
def connection():
    conn = POOL.get()
    try:
        yield conn
    finally:
        POOL.put(conn)


with connection() as conn, conn.cursor() as cur:
    cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
    cur.execute(
        f'CREATE TABLE IF NOT EXISTS "{SCHEMA}".audit (id bigserial PRIMARY KEY, '
        "at timestamptz NOT NULL DEFAULT now(), request_id uuid NOT NULL, method text NOT NULL, "
        "path text NOT NULL, status int NOT NULL, duration_ms real NOT NULL, "
        "request jsonb, response jsonb)"
    )
    conn.commit()


def audit(request_id, method, path, started, request, response):
    with connection() as conn, conn.cursor() as cur:
        cur.execute(
            f'INSERT INTO "{SCHEMA}".audit (request_id, method, path, status, duration_ms, '
            "request, response) VALUES (%s, %s, %s, 200, %s, %s, %s)",
            (request_id, method, path, 1000 * (time.perf_counter() - started), Json(request),
             Json(response)),
        )
        conn.commit()


app = FastAPI(title="typical diamond pricing service")


@app.post("/v1/prices")
def price(diamond: Diamond):
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    answer = {
        "price": price_of(diamond),
        "currency": "USD",
        "model": SPEC["model"],
        "requestId": request_id,
    }
    audit(request_id, "POST", "/v1/prices", started, diamond.dict(), answer)
    return answer


@app.get("/v1/similar-diamonds")
def similar_diamonds(
    cut: Literal[CUTS],
    color: Literal[COLORS],
    clarity: Literal[CLARITIES],
    carat: float = Query(gt=0, le=10),
    n: int = Query(5, ge=1, le=100),
):
    started = time.perf_counter()
    request_id = str(uuid.uuid4())
    same = DATASET[
        (DATASET["cut"] == cut) & (DATASET["color"] == color) & (DATASET["clarity"] == clarity)
    ]
    closest = (
        same.assign(distance=(same["carat"] - carat).abs().round(9))
        .sort_values(["distance", "carat", "id"])
        .head(n)
        .drop(columns="distance")
    )
    items = closest.to_dict("records")
    answer = {"items": items, "count": len(items)}
    query = {"cut": cut, "color": color, "clarity": clarity, "carat": carat, "n": n}
    audit(request_id, "GET", "/v1/similar-diamonds", started, query, answer)
    return answer


if __name__ == "__main__":
    # uvicorn's defaults take uvloop and httptools when installed (uvicorn[standard]), else asyncio, h11.
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    print(
        f"typical service: FastAPI {fastapi.__version__}, pydantic {pydantic.VERSION}, uvicorn "
        f"{uvicorn.__version__} ({loop}, {http}), XGBoost {xgb.__version__} ({len(PARTS)} boosters), "
        f"pandas {pd.__version__}, psycopg2 {psycopg2.__version__.split()[0]}",
        flush=True,
    )
    uvicorn.run(app, host="127.0.0.1", port=int(os.environ["REF_PORT"]), log_level="warning")
