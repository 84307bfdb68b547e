"""ONNX test helpers: the model families the acceptance names, each trained on one part
of its data with the rest held out, and a way to read a version's ONNX record."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_regression
from sklearn.ensemble import GradientBoostingClassifier, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from registry.models import OnnxCompilation

TRAIN = 400  # rows to fit on; the rest are held out


@functools.cache
def classification() -> tuple[pd.DataFrame, np.ndarray]:
    """Named numeric columns and text labels, so a label is never mistaken for an index."""
    X, y = make_classification(n_samples=600, n_features=8, n_informative=5, n_classes=3, random_state=0)
    frame = pd.DataFrame(X * [1, 2, 5, 1, 0.5, 10, 1, 3], columns=[f"f{i}" for i in range(8)])
    return frame, np.array(["bronze", "gold", "silver"])[y]


@functools.cache
def regression() -> tuple[pd.DataFrame, np.ndarray]:
    X, y = make_regression(n_samples=600, n_features=6, noise=5.0, random_state=1)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]), y * 100


@functools.cache
def customers() -> tuple[pd.DataFrame, np.ndarray]:
    """Numbers and text columns, as a ColumnTransformer with one-hot encoding routes them."""
    rng = np.random.default_rng(0)
    size = 600
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 80, size).astype(float),
            "city": rng.choice(["Lyon", "Oslo", "Porto", "Turin"], size),
            "income": rng.normal(40_000, 9_000, size).round(2),
            "plan": rng.choice(["basic", "pro", "team"], size),
        }
    )
    churned = ((frame["plan"] == "basic") & (frame["age"] < 40)) | (frame["income"] < 32_000)
    return frame, np.where(churned, "churned", "stayed")


def customers_model():
    columns = ColumnTransformer(
        [
            ("numbers", StandardScaler(), ["age", "income"]),
            ("text", OneHotEncoder(handle_unknown="ignore"), ["city", "plan"]),
        ]
    )
    return make_pipeline(columns, LogisticRegression(max_iter=1000))


FAMILIES = {
    "logistic regression": (lambda: LogisticRegression(max_iter=2000), classification),
    "random forest classifier": (lambda: RandomForestClassifier(n_estimators=30, random_state=0), classification),
    "gradient boosting classifier": (
        lambda: GradientBoostingClassifier(n_estimators=20, random_state=0),
        classification,
    ),
    "scaler and logistic regression pipeline": (
        lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        classification,
    ),
    "random forest regressor": (lambda: RandomForestRegressor(n_estimators=30, random_state=0), regression),
    "column transformer with one-hot text columns": (customers_model, customers),
}


@functools.cache
def fitted(family: str):
    make, data = FAMILIES[family]
    X, y = data()
    return make().fit(X.iloc[:TRAIN], y[:TRAIN])


def held_out(family: str) -> pd.DataFrame:
    return FAMILIES[family][1]()[0].iloc[TRAIN:].reset_index(drop=True)


def split_body(rows: pd.DataFrame, **params) -> dict:
    body = {"dataframe_split": rows.to_dict(orient="split", index=False)}
    if params:
        body["params"] = params
    return body


def compilation(name: str = "m", version: int = 1) -> OnnxCompilation:
    return OnnxCompilation.objects.get(version__model__name=name, version__version=version)
