"""What a version takes as input, for compilation and serving alike (the one place that
reads a signature as columns): the columns in the order the estimator was fit on, each
column's kind, and whether they are matched by name or by position.

From the version's recorded signature (named columns with MLflow types, or an unnamed
tensor of n columns; registry.formats.signatures) and the fitted estimator. Serving
checks request rows against it; compilation builds the ONNX inputs from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# MLflow column types, by how their values are checked and converted.
KINDS = {
    "double": "float",
    "float": "float",
    "long": "int",
    "integer": "int",
    "boolean": "bool",
    "string": "str",
}
NUMERIC = ("float", "int")
# An unnamed tensor's columns, by the kind of its numpy dtype.
DTYPE_KINDS = {"f": "float", "i": "int", "u": "int", "b": "bool", "U": "str", "O": "str", "S": "str"}


@dataclass(frozen=True)
class Column:
    label: str  # the column's name, or its position for unnamed inputs
    kind: str  # "float", "int", "bool", "str" or "any" (a type no check expresses)
    title: str  # how messages name it: "column 'age'" or "column 3"


@dataclass(frozen=True)
class InputContract:
    columns: tuple[Column, ...] | None  # None: the signature does not say how many
    named: bool  # the signature names the columns (else they go by position)
    dtype: np.dtype | None  # an unnamed tensor's dtype; None for named columns or no signature
    fitted_on_names: bool  # the estimator was fit on named columns (feature_names_in_)
    routes_by_name: bool  # a ColumnTransformer first sees the input and picks columns by name

    @property
    def numeric(self) -> bool:
        return self.columns is None or all(c.kind in NUMERIC for c in self.columns)


def unnamed_column(index: int, kind: str) -> Column:
    return Column(str(index), kind, f"column {index}")


def dtype_kind(dtype: np.dtype) -> str:
    return DTYPE_KINDS.get(dtype.kind, "any")


def contract_for(signature: dict | None, estimator: Any) -> InputContract:
    from sklearn.compose import ColumnTransformer

    signature = signature or {}
    fitted = getattr(estimator, "feature_names_in_", None) is not None
    routes = isinstance(first_step(estimator), ColumnTransformer)
    if signature.get("inputs"):
        return InputContract(_named_columns(signature["inputs"], estimator), True, None, fitted, routes)
    tensor = signature.get("tensor")
    if not tensor:
        return InputContract(None, False, None, fitted, routes)
    dtype = np.dtype(tensor.get("dtype") or "float64")
    shape = tensor.get("shape") or [-1]
    columns = None
    if len(shape) == 2 and shape[1] > 0:
        columns = tuple(unnamed_column(i, dtype_kind(dtype)) for i in range(shape[1]))
    return InputContract(columns, False, dtype, fitted, routes)


def _named_columns(inputs: list[dict], estimator: Any) -> tuple[Column, ...]:
    kinds = {str(spec["name"]): KINDS.get(str(spec["type"]).lower(), "any") for spec in inputs}
    fitted = getattr(estimator, "feature_names_in_", None)
    # The model checks names against its fitted order, which a hand-written MLmodel
    # signature need not follow.
    order = [str(n) for n in fitted] if fitted is not None and set(map(str, fitted)) == set(kinds) else list(kinds)
    return tuple(Column(name, kinds[name], f"column {name!r}") for name in order)


def first_step(estimator: Any) -> Any:
    """The part of the model that first sees the input: a Pipeline's head, else the model."""
    from sklearn.pipeline import Pipeline

    while isinstance(estimator, Pipeline) and estimator.steps:
        estimator = estimator.steps[0][1]
    return estimator
