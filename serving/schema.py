"""What a loaded version takes as input, worked out once when it is loaded.

The columns, their order and kinds are the version's input contract
(registry.input_contract, shared with compilation); serving adds how it hands the rows
over: a pandas DataFrame where the model needs one, else a plain array (the fast path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from registry.input_contract import NUMERIC, Column, InputContract, contract_for, dtype_kind, unnamed_column

FLOAT64 = np.dtype(np.float64)


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
        self.numeric = all(c.kind in NUMERIC for c in columns)
        self.names = tuple(c.label for c in columns)
        self.positions = {name: index for index, name in enumerate(self.names)}
        self.int_positions = [index for index, c in enumerate(columns) if c.kind == "int"]

    def column(self, index: int) -> Column:
        """Column `index` of the model's input (also for models without a signature)."""
        return self.columns[index] if self.columns is not None else unnamed_column(index, "float")


def plan_for(signature: dict | None, estimator: Any) -> InputPlan:
    contract = contract_for(signature, estimator)
    return InputPlan(contract.columns, contract.named, _needs_frame(contract), _array_dtype(contract))


def _needs_frame(contract: InputContract) -> bool:
    """A DataFrame only when an array would not do: a model fit on named columns that
    has text columns, or that routes columns by name (a ColumnTransformer)."""
    if not (contract.named and contract.fitted_on_names):
        return False
    return not contract.numeric or contract.routes_by_name


def _array_dtype(contract: InputContract) -> np.dtype:
    """An unnamed numeric tensor keeps its recorded dtype; anything else is float64."""
    dtype = contract.dtype
    return dtype if dtype is not None and dtype_kind(dtype) in NUMERIC else FLOAT64
