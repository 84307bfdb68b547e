"""What a loaded version takes as input, worked out once when it is loaded.

From the version's recorded signature (named columns with MLflow types, or an unnamed
tensor of n columns) and the estimator itself: the column order the model expects,
each column's kind, and whether the model needs a pandas DataFrame or takes a plain
array (the fast path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

# MLflow column types, by how serving checks and converts their values.
KINDS = {
    "double": "float",
    "float": "float",
    "long": "int",
    "integer": "int",
    "boolean": "bool",
    "string": "str",
}
NUMERIC = ("float", "int")
FLOAT64 = np.dtype(np.float64)
DTYPE_KINDS = {"f": "float", "i": "int", "u": "int", "b": "bool", "U": "str", "O": "str", "S": "str"}


@dataclass(frozen=True)
class Column:
    label: str  # the column's name, or its position for unnamed inputs
    kind: str  # "float", "int", "bool", "str" or "any" (passed through unchecked)
    title: str  # how messages name it: "column 'age'" or "column 3"


@dataclass
class InputPlan:
    columns: tuple[Column, ...] | None  # None: no signature, any number of numeric columns
    named: bool  # columns are matched by name (else by position)
    needs_frame: bool  # the model needs a DataFrame; otherwise it gets an ndarray
    array_dtype: np.dtype = FLOAT64  # of the ndarray a numeric model gets
    numeric: bool = field(init=False)
    names: tuple[str, ...] = field(init=False)
    positions: dict[str, int] = field(init=False)
    int_positions: list[int] = field(init=False)

    def __post_init__(self) -> None:
        columns = self.columns or ()
        self.numeric = _all_numeric(self.columns)
        self.names = tuple(c.label for c in columns)
        self.positions = {name: index for index, name in enumerate(self.names)}
        self.int_positions = [index for index, c in enumerate(columns) if c.kind == "int"]

    def column(self, index: int) -> Column:
        """Column `index` of the model's input (also for models without a signature)."""
        return self.columns[index] if self.columns is not None else unnamed_column(index, "float")


def unnamed_column(index: int, kind: str) -> Column:
    return Column(str(index), kind, f"column {index}")


def _all_numeric(columns: tuple[Column, ...] | None) -> bool:
    return columns is None or all(c.kind in NUMERIC for c in columns)


def plan_for(signature: dict | None, estimator: Any) -> InputPlan:
    signature = signature or {}
    if signature.get("inputs"):
        columns = _named_columns(signature["inputs"], estimator)
        return InputPlan(columns, named=True, needs_frame=_needs_frame(columns, estimator))
    tensor = signature.get("tensor")
    if tensor:
        return _tensor_plan(tensor)
    return InputPlan(None, named=False, needs_frame=False)


def _named_columns(inputs: list[dict], estimator: Any) -> tuple[Column, ...]:
    kinds = {str(spec["name"]): KINDS.get(str(spec["type"]).lower(), "any") for spec in inputs}
    fitted = getattr(estimator, "feature_names_in_", None)
    # The model checks names against its fitted order, which a hand-written MLmodel
    # signature need not follow.
    order = [str(n) for n in fitted] if fitted is not None and set(map(str, fitted)) == set(kinds) else list(kinds)
    return tuple(Column(name, kinds[name], f"column {name!r}") for name in order)


def _tensor_plan(tensor: dict) -> InputPlan:
    dtype = np.dtype(tensor.get("dtype") or "float64")
    shape = tensor.get("shape") or [-1]
    kind = DTYPE_KINDS.get(dtype.kind, "any")
    columns = None
    if len(shape) == 2 and shape[1] > 0:
        columns = tuple(unnamed_column(i, kind) for i in range(shape[1]))
    array_dtype = dtype if kind in NUMERIC else FLOAT64
    return InputPlan(columns, named=False, needs_frame=False, array_dtype=array_dtype)


def _needs_frame(columns: tuple[Column, ...], estimator: Any) -> bool:
    """A DataFrame only when an array would not do: a model fit on named columns that
    has text columns, or that routes columns by name (a ColumnTransformer)."""
    if getattr(estimator, "feature_names_in_", None) is None:
        return False
    return not _all_numeric(columns) or _has_column_transformer(estimator)


def _has_column_transformer(estimator: Any) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline

    while isinstance(estimator, Pipeline) and estimator.steps:
        estimator = estimator.steps[0][1]
    return isinstance(estimator, ColumnTransformer)
