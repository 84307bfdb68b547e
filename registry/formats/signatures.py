"""Model signatures: from an MLmodel file, or inferred from the fitted estimator.

The shape is `{"inputs", "tensor", "outputs", "source"}` with MLflow's type names:
named columns as `"inputs": [{"name", "type"}]` ("double", "long", "string"...), or
unnamed inputs as `"tensor": {"dtype": "float64", "shape": [-1, n]}` (one entry for
n features, however large n is), the other of the two None.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from registry.input_contract import first_step
from registry_site import inputs
from registry_site.errors import RefusedContent, RegistryError


def signature_from_mlmodel(mlmodel: dict) -> dict | None:
    """Read MLmodel `signature.inputs/outputs` (JSON strings); None when absent."""
    declared = mlmodel.get("signature")
    if not isinstance(declared, dict) or not declared.get("inputs"):
        return None
    outputs = declared.get("outputs")
    inputs, tensor = _parse_specs(declared["inputs"])
    return {
        "inputs": inputs,
        "tensor": tensor,
        "outputs": _parse_specs(outputs)[0] if outputs else None,
        "source": "mlmodel",
    }


def _parse_specs(raw: Any) -> tuple[list[dict] | None, dict | None]:
    """(columns, None) for a column-based spec, (None, tensor) for a tensor spec."""
    try:
        specs = inputs.parse_json(raw) if isinstance(raw, str) else raw
        if specs and specs[0]["type"] == "tensor":
            return None, _tensor(specs[0]["tensor-spec"])
        return [{"name": spec.get("name"), "type": str(spec["type"])} for spec in specs], None
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RegistryError) as exc:
        raise RefusedContent(f"the MLmodel signature could not be read: {exc}") from exc


def _tensor(spec: dict) -> dict:
    shape = [int(d) for d in spec.get("shape", [-1])]
    return {"dtype": str(spec["dtype"]), "shape": shape}


def signature_from_estimator(estimator: Any) -> dict | None:
    """Infer inputs from `feature_names_in_`, else `n_features_in_`; None if neither.

    Columns that a ColumnTransformer sends to an encoder fit on strings are
    typed "string", everything else "double" (a best effort: sklearn does not
    keep the training dtypes).
    """
    names = _attribute(estimator, "feature_names_in_")
    if names is not None:
        strings = _string_columns(estimator)
        inputs = [{"name": str(n), "type": "string" if n in strings else "double"} for n in names]
        return {"inputs": inputs, "tensor": None, "outputs": None, "source": "feature_names_in_"}
    count = _attribute(estimator, "n_features_in_")
    if isinstance(count, int):
        tensor = {"dtype": "float64", "shape": [-1, count]}
        return {"inputs": None, "tensor": tensor, "outputs": None, "source": "n_features_in_"}
    return None


def _attribute(estimator: Any, name: str) -> Any:
    # Some estimators expose these as properties that raise when unfitted.
    try:
        return getattr(estimator, name, None)
    except Exception:
        return None


def _string_columns(estimator: Any) -> set[str]:
    transformer = _column_transformer(estimator)
    if transformer is None:
        return set()
    found: set[str] = set()
    all_names = list(transformer.feature_names_in_)
    for _, step, columns in getattr(transformer, "transformers_", []):
        routed = _column_names(columns, all_names)
        found.update(n for n, is_text in zip(routed, _text_flags(step), strict=False) if is_text)
    return found


def _column_transformer(estimator: Any) -> Any | None:
    """The ColumnTransformer that first sees the input: the model or a Pipeline's head."""
    from sklearn.compose import ColumnTransformer

    estimator = first_step(estimator)
    if isinstance(estimator, ColumnTransformer) and hasattr(estimator, "feature_names_in_"):
        return estimator
    return None


def _column_names(columns: Any, all_names: list[str]) -> list[str]:
    """Resolve a ColumnTransformer column selection to feature names."""
    if isinstance(columns, str | numbers.Integral):
        columns = [columns]
    if isinstance(columns, slice):
        return all_names[columns]
    selected = list(columns) if hasattr(columns, "__iter__") else []
    if selected and all(isinstance(c, bool | np.bool_) for c in selected):
        return [n for n, keep in zip(all_names, selected, strict=False) if keep]
    return [all_names[int(c)] if isinstance(c, numbers.Integral) else str(c) for c in selected]


def _text_flags(step: Any) -> list[bool]:
    """Per routed column, whether the step encodes it as text."""
    from sklearn.pipeline import Pipeline

    steps = [s for _, s in step.steps] if isinstance(step, Pipeline) else [step]
    for candidate in steps:
        categories = getattr(candidate, "categories_", None)
        if isinstance(categories, list):
            return [getattr(getattr(c, "dtype", None), "kind", None) == "O" for c in categories]
        if hasattr(candidate, "vocabulary_"):  # a text vectorizer on one column
            return [True]
    return []
