"""Serving test helpers: call an invocation, and the models the acceptance names (built
once per test run). Not a conftest: a second `conftest` module would shadow the root
one that test modules import `upload` from."""

from __future__ import annotations

import functools
import io
import tempfile
import warnings
import zipfile
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def invoke(client, path: str, body=None, *, csv: str | None = None, content_type: str | None = None):
    """POST an invocation: a JSON body (a dict or raw bytes) or CSV text."""
    if csv is not None:
        return client.post(path, data=csv.encode(), content_type=content_type or "text/csv")
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(path, data=data, content_type=content_type or "application/json")


def predictions(response) -> list:
    assert response.status_code == 200, response.content
    return response.json()["predictions"]


def message(response, status: int) -> str:
    """The error message of a response that must have `status`."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"error_code", "message"}, body
    return body["message"]


# --- models and rows ------------------------------------------------------------------------


@functools.cache
def iris_frame() -> tuple[pd.DataFrame, pd.Series]:
    data = load_iris(as_frame=True)
    return data.data, data.target


def iris_rows() -> pd.DataFrame:
    """Ten rows from all three classes."""
    return iris_frame()[0].iloc[::15].reset_index(drop=True)


@functools.cache
def iris_logistic() -> LogisticRegression:
    return LogisticRegression(max_iter=500).fit(*iris_frame())


@functools.cache
def iris_forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=20, random_state=0).fit(*iris_frame())


@functools.cache
def customers() -> tuple[pd.DataFrame, pd.Series]:
    """Named numeric and text columns, as a ColumnTransformer routes them."""
    rng = np.random.default_rng(0)
    size = 120
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size).astype(float),
            "city": rng.choice(["Lyon", "Oslo", "Porto"], size),
            "income": rng.normal(40_000, 9_000, size).round(2),
            "plan": rng.choice(["basic", "pro"], size),
        }
    )
    churned = ((frame["plan"] == "basic") & (frame["age"] < 40)) | (frame["income"] < 32_000)
    return frame, churned.astype(int)


def customer_rows() -> pd.DataFrame:
    return customers()[0].iloc[:8].reset_index(drop=True)


@functools.cache
def customers_pipeline():
    columns = ColumnTransformer(
        [
            ("numbers", StandardScaler(), ["age", "income"]),
            ("text", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=500)).fit(*customers())


@functools.cache
def houses(columns: tuple[str, ...] = ("rooms", "area", "garden")) -> tuple[pd.DataFrame, np.ndarray]:
    """Integer, float and boolean columns: an MLflow signature types them long, double, boolean.
    Without "garden" every column is numeric and the model takes a plain array."""
    rng = np.random.default_rng(3)
    size = 50
    frame = pd.DataFrame(
        {
            "rooms": rng.integers(1, 7, size),
            "area": rng.normal(90, 25, size).round(1),
            "garden": rng.random(size) > 0.5,
        }
    )
    price = 30_000 * frame["rooms"] + 1_800 * frame["area"] + 25_000 * frame["garden"]
    return frame[list(columns)], price.to_numpy(dtype=float)


NUMERIC_HOUSES = ("rooms", "area")


@functools.cache
def houses_regression(columns: tuple[str, ...] = ("rooms", "area", "garden")) -> LinearRegression:
    return LinearRegression().fit(*houses(columns))


@functools.cache
def houses_mlflow_zip(columns: tuple[str, ...] = ("rooms", "area", "garden")) -> bytes:
    """houses_regression() saved by MLflow, with the signature inferred from its frame."""
    import mlflow.sklearn
    from mlflow.models import infer_signature

    frame, price = houses(columns)
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's hints about pickles and integer columns
        directory = Path(folder) / "model"
        signature = infer_signature(frame, price)
        mlflow.sklearn.save_model(
            houses_regression(columns), str(directory), pip_requirements=["scikit-learn"], signature=signature
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for file in sorted(directory.rglob("*")):
                archive.write(file, file.relative_to(directory).as_posix())
    return buffer.getvalue()


# --- the Open Inference Protocol ----------------------------------------------------------------


def oip_tensor(rows: pd.DataFrame, name: str = "input") -> dict:
    """The rows as one [rows, columns] FP64 tensor, flat and row-major."""
    return {"name": name, "shape": list(rows.shape), "datatype": "FP64", "data": rows.to_numpy().ravel().tolist()}


def oip_columns(rows: pd.DataFrame, datatypes: dict[str, str] | None = None) -> list[dict]:
    """The rows as one input per column (MLServer's pandas convention)."""
    datatypes = datatypes or {}
    return [
        {"name": name, "shape": [len(rows), 1], "datatype": datatypes.get(name, "FP64"), "data": rows[name].tolist()}
        for name in rows.columns
    ]


def oip_outputs(response) -> dict[str, dict]:
    """A JSON infer response's outputs by name."""
    assert response.status_code == 200, response.content
    return {output["name"]: output for output in response.json()["outputs"]}


def oip_error(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert set(response.json()) == {"error"}, response.content
    return response.json()["error"]
