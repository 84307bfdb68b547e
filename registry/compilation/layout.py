"""What a version takes as input, for the converter and the equivalence check: its
columns and kinds as ONNX inputs, from the version's input contract
(registry.input_contract, shared with serving); and rows to check the two forms on (the input example, plus synthesized
rows that span many magnitudes and every known category)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from registry.input_contract import NUMERIC, InputContract, contract_for

SYNTHESIZED_ROWS = 1000
# Synthesized numbers are standard normal times one of these, so a model that expects
# ages, incomes or z-scores sees values in its range on some of the rows.
SCALES = (0.01, 0.1, 1.0, 10.0, 100.0, 1_000.0, 10_000.0, 100_000.0)


class NotConvertible(Exception):
    """The version cannot be compiled; the message says why (shown on the version)."""


@dataclass(frozen=True)
class InputLayout:
    names: tuple[str, ...]  # in the estimator's order
    kinds: tuple[str, ...]  # "float", "int", "bool" or "str"
    per_column: bool  # one ONNX input per column (text columns, ColumnTransformers)
    named: bool  # the estimator was fit on named columns: it gets a DataFrame


def layout_for(signature: dict | None, estimator: Any) -> InputLayout:
    contract = contract_for(signature, estimator)
    columns = _onnx_columns(contract, estimator)
    unknown = [name for name, kind in columns if kind == "any"]
    if unknown:
        raise NotConvertible(f"column {unknown[0]!r} has a type ONNX inputs cannot express")
    names, kinds = zip(*columns, strict=True) if columns else ((), ())
    per_column = any(k not in NUMERIC for k in kinds) or contract.routes_by_name
    return InputLayout(tuple(names), tuple(kinds), per_column, named=contract.fitted_on_names)


def _onnx_columns(contract: InputContract, estimator: Any) -> list[tuple[str, str]]:
    """Named columns as the contract has them. An unnamed tensor is one numeric ONNX input:
    integers if its dtype says so, else floats; as many columns as the signature says, or
    as the estimator was fit on."""
    if contract.named:
        return [(c.label, c.kind) for c in contract.columns]
    count = len(contract.columns) if contract.columns else getattr(estimator, "n_features_in_", None)
    if not isinstance(count, int):
        raise NotConvertible("the version records no input signature and the estimator no n_features_in_")
    kind = "int" if contract.dtype is not None and contract.dtype.kind in "iu" else "float"
    return [(str(i), kind) for i in range(count)]


# --- rows to check on ------------------------------------------------------------------


def validation_rows(layout: InputLayout, estimator: Any, example: dict | None, *, seed: int = 0) -> list[list]:
    """The input example's rows (in layout order), then SYNTHESIZED_ROWS more."""
    rng = np.random.default_rng(seed)
    encoded = encoder_categories(estimator)
    columns = [
        _synthesized(rng, kind, encoded.get(name)) for name, kind in zip(layout.names, layout.kinds, strict=True)
    ]
    return example_rows(layout, example) + [list(row) for row in zip(*columns, strict=True)]


def example_rows(layout: InputLayout, example: dict | None) -> list[list]:
    """MLflow's split-orient input example in layout order; [] when absent or unusable."""
    if not isinstance(example, dict) or not isinstance(example.get("data"), list):
        return []
    given = [str(name) for name in example.get("columns") or layout.names]
    if set(given) != set(layout.names):
        return []
    position = {name: i for i, name in enumerate(given)}
    rows = [row for row in example["data"] if isinstance(row, list) and len(row) == len(given)]
    return [[row[position[name]] for name in layout.names] for row in rows]


@dataclass(frozen=True)
class Categories:
    values: list  # what the fitted encoder knows
    strict: bool  # it refuses any other value (handle_unknown="error")


def _synthesized(rng: np.random.Generator, kind: str, categories: Categories | None) -> list:
    size = SYNTHESIZED_ROWS
    if categories is not None:
        # An encoded column: its known values, and an unseen one where the encoder takes it.
        unseen = [] if categories.strict else ["an unseen category" if kind == "str" else 987_654_321]
        return [_plain(v) for v in rng.choice(np.array([*categories.values, *unseen], dtype=object), size)]
    if kind == "str":
        return rng.choice(["a", "b", "c"], size).tolist()
    if kind == "bool":
        return (rng.random(size) > 0.5).tolist()
    if kind == "int":
        return rng.integers(-10, 1_000, size).tolist()
    return (rng.normal(size=size) * rng.choice(SCALES, size)).tolist()


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def encoder_categories(estimator: Any) -> dict[str, Categories]:
    """Column name -> the categories a fitted encoder inside the model knows."""
    found: dict[str, Categories] = {}
    for part in parts(estimator):
        names = getattr(part, "feature_names_in_", None)
        categories = getattr(part, "categories_", None)
        if names is not None and isinstance(categories, list) and len(categories) == len(names):
            strict = getattr(part, "handle_unknown", "error") == "error"
            found.update({str(n): Categories(list(c), strict) for n, c in zip(names, categories, strict=True)})
    return found


def parts(estimator: Any):
    """The estimator and every estimator nested in it (pipelines, column transformers)."""
    yield estimator
    for _, child, *_ in getattr(estimator, "steps", None) or getattr(estimator, "transformers_", None) or []:
        if hasattr(child, "fit"):
            yield from parts(child)


def as_model_input(layout: InputLayout, rows: list[list]) -> Any:
    """Rows as serving hands them to the estimator: a DataFrame for a model fit on
    named columns, else an array (float64 when every column is numeric)."""
    if layout.named:
        import pandas as pd

        columns = list(zip(*rows, strict=True)) if rows else [() for _ in layout.names]
        return pd.DataFrame(
            {name: _typed(values, kind) for name, kind, values in zip(layout.names, layout.kinds, columns, strict=True)}
        )
    numeric = all(kind in NUMERIC for kind in layout.kinds)
    return np.array(rows, dtype=np.float64 if numeric else object)


def _typed(values: tuple, kind: str) -> np.ndarray:
    dtype = {"float": np.float64, "int": np.int64, "bool": np.bool_}.get(kind, object)
    return np.array(values, dtype=dtype)


def unguarded_encoder(layout: InputLayout, estimator: Any) -> str | None:
    """An encoder that refuses unseen values (handle_unknown="error") on columns serving
    cannot check by name before ONNX answers; ONNX would encode such values as zeros
    where scikit-learn answers 400. None when there is none."""
    for part in parts(estimator):
        if getattr(part, "categories_", None) is None or getattr(part, "handle_unknown", "") != "error":
            continue
        names = getattr(part, "feature_names_in_", None)
        if not layout.per_column or names is None or not set(map(str, names)) <= set(layout.names):
            return f"{type(part).__name__}(handle_unknown='error') on columns ONNX inputs do not name"
    return None
