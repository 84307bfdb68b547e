"""Decoded rows to what the model takes: columns matched by name and put in the model's
order, every value checked against its column's type, then one ndarray (or a pandas
DataFrame for the models that need one).

Nothing is coerced lossily: a string in a numeric column, 1.5 in an integer column or a
null in an integer column is a 400 naming the column, never a silent cast. Numeric
models take a fast path (one type scan, one `np.array`); anything it does not accept
goes through the per-column checks, which say what is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np

from registry_site.errors import InvalidParameter

from .decoding import Batch
from .schema import InputPlan
from .values import convert_column

JSON_NUMBERS = frozenset({float, int})
JSON_NUMBERS_OR_NULL = frozenset({float, int, type(None)})


@dataclass
class ModelInput:
    data: Any  # an ndarray, or a DataFrame when the plan says so
    null_columns: list[str]  # how messages name the columns that had nulls


def model_input(plan: InputPlan, batch: Batch) -> ModelInput:
    order, width = _column_order(plan, batch)
    _check_rows(batch.rows, width)
    if plan.numeric and not plan.needs_frame:
        array = _numeric_array(batch)
        if array is not None:
            return _checked_numeric(plan, array if order is None else array[:, order])
    return _converted(plan, batch, order)


# --- shape ---------------------------------------------------------------------------


def _column_order(plan: InputPlan, batch: Batch) -> tuple[list[int] | None, int]:
    """For each model column, its position in the request's rows (None: as they are),
    and how many values each row must have."""
    names = batch.names
    if plan.columns is None:  # no signature: as many columns as the request has
        first = names if names is not None else batch.rows[0] if batch.rows else ()
        return None, len(first)
    if names is None or not plan.named:
        if names is not None and len(names) != len(plan.columns):
            raise InvalidParameter(f"expected {len(plan.columns)} columns, got {len(names)}")
        return None, len(plan.columns)
    if tuple(names) == plan.names:
        return None, len(names)  # the usual case: the signature's own order
    _check_names(plan, names)
    given = {name: position for position, name in enumerate(names)}
    return [given[name] for name in plan.names], len(names)


def _check_names(plan: InputPlan, names: list[str]) -> None:
    expected = ", ".join(plan.names)
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidParameter(f"column {name!r} appears more than once")
        if name not in plan.positions:
            raise InvalidParameter(f"unknown column {name!r}: the model takes {expected}")
        seen.add(name)
    missing = [name for name in plan.names if name not in seen]
    if missing:
        raise InvalidParameter(f"missing column {missing[0]!r}: the model takes {expected}")


def _check_rows(rows: list, width: int) -> None:
    if not rows:
        raise InvalidParameter("the batch is empty: send at least one row")
    widths = set(map(len, rows))
    if widths == {width}:
        return
    if len(widths) == 1:
        raise InvalidParameter(f"each row must have {width} values, one per column; got {widths.pop()}")
    index = next(i for i, row in enumerate(rows) if len(row) != width)
    raise InvalidParameter(f"ragged rows: row {index} has {len(rows[index])} values, expected {width}")


# --- numeric fast path -----------------------------------------------------------------


def _numeric_array(batch: Batch) -> np.ndarray | None:
    """All the values as one float64 array (nulls as NaN), or None to take the slow path."""
    if batch.text:
        try:
            return np.array(batch.rows, dtype=np.float64)
        except ValueError:
            return None  # an empty cell or a non-number: let the per-column checks say which
    if set(map(type, chain.from_iterable(batch.rows))) <= JSON_NUMBERS_OR_NULL:
        return np.array(batch.rows, dtype=np.float64)
    return None


def _checked_numeric(plan: InputPlan, array: np.ndarray) -> ModelInput:
    nulls = np.isnan(array)
    null_positions = np.flatnonzero(nulls.any(axis=0)).tolist() if nulls.any() else []
    for index in plan.int_positions:
        column = plan.column(index)
        if index in null_positions:
            row = int(np.flatnonzero(nulls[:, index])[0])
            raise InvalidParameter(f"{column.title}, row {row}: null is not allowed in an integer column")
        fractional = np.flatnonzero(array[:, index] % 1 != 0)
        if fractional.size:
            row = int(fractional[0])
            raise InvalidParameter(
                f"{column.title}, row {row}: {float(array[row, index])!r} is not a whole number "
                "(an integer column; it is never rounded)"
            )
    if array.dtype != plan.array_dtype:
        array = array.astype(plan.array_dtype)
    return ModelInput(array, [plan.column(i).title for i in null_positions])


# --- per-column checks -----------------------------------------------------------------


def _converted(plan: InputPlan, batch: Batch, order: list[int] | None) -> ModelInput:
    given = list(zip(*batch.rows, strict=True))
    positions = order if order is not None else range(len(given))
    columns, nulls = [], []
    for index, position in enumerate(positions):
        column = plan.column(index)
        values, had_null = convert_column(column, given[position], text=batch.text)
        columns.append(values)
        if had_null:
            nulls.append(column.title)
    return ModelInput(_assemble(plan, columns), nulls)


def _assemble(plan: InputPlan, columns: list[np.ndarray]) -> Any:
    if plan.needs_frame:
        import pandas as pd

        return pd.DataFrame(dict(zip(plan.names, columns, strict=True)))
    if plan.numeric:
        return np.column_stack(columns).astype(plan.array_dtype, copy=False)
    array = np.empty((len(columns[0]), len(columns)), dtype=object)
    for index, values in enumerate(columns):
        array[:, index] = values
    return array
