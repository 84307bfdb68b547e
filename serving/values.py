"""One column of request values to a typed numpy array, refusing what does not fit.

JSON values must already have the column's type (a number for a numeric column, text
for a text column); CSV cells are text and are parsed by the column's type. Nulls (and
empty CSV cells) are NaN in float columns and None in text columns, for the model to
accept or refuse; integer and boolean columns cannot hold them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from registry.input_contract import Column
from registry_site.errors import InvalidParameter

TRUE_TEXT = frozenset({"true", "1"})
FALSE_TEXT = frozenset({"false", "0"})


def convert_column(column: Column, values: Sequence, *, text: bool) -> tuple[np.ndarray, bool]:
    """(the values as an array, whether any was null)."""
    convert = _CONVERTERS[column.kind]
    converted = [convert(column, row, value, text) for row, value in enumerate(values)]
    if column.kind == "float":
        array = np.array(converted, dtype=np.float64)
        return array, bool(np.isnan(array).any())
    if column.kind == "int":
        return _int_array(column, converted), False
    dtype = np.bool_ if column.kind == "bool" else object
    return np.array(converted, dtype=dtype), any(value is None for value in converted)


def _int_array(column: Column, converted: list[int]) -> np.ndarray:
    try:
        return np.array(converted, dtype=np.int64)
    except OverflowError:
        raise InvalidParameter(f"{column.title}: a value is out of range for a 64-bit integer") from None


def _refuse(column: Column, row: int, value: object, expected: str) -> InvalidParameter:
    return InvalidParameter(f"{column.title}, row {row}: {value!r} is not {expected}")


def _float(column: Column, row: int, value: object, text: bool) -> float | None:
    if text:
        if value.strip() == "":
            return None
        try:
            return float(value)
        except ValueError:
            raise _refuse(column, row, value, "a number") from None
    if value is None or type(value) in (float, int):
        return value
    raise _refuse(column, row, value, "a number")


def _int(column: Column, row: int, value: object, text: bool) -> int:
    if text and value.strip().lstrip("+-").isdecimal():
        return int(value)
    number = _float(column, row, value, text)
    if number is None:
        raise InvalidParameter(f"{column.title}, row {row}: null is not allowed in an integer column")
    if isinstance(number, float) and not number.is_integer():
        raise InvalidParameter(
            f"{column.title}, row {row}: {value!r} is not a whole number (an integer column; it is never rounded)"
        )
    return int(number)


def _bool(column: Column, row: int, value: object, text: bool) -> bool:
    if text and value.strip().lower() in TRUE_TEXT | FALSE_TEXT:
        return value.strip().lower() in TRUE_TEXT
    if type(value) is bool:
        return value
    if value is None or (text and value.strip() == ""):
        raise InvalidParameter(f"{column.title}, row {row}: null is not allowed in a boolean column")
    raise _refuse(column, row, value, "true or false")


def _str(column: Column, row: int, value: object, text: bool) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _refuse(column, row, value, "text")


def _any(column: Column, row: int, value: object, text: bool) -> object:
    return value


_CONVERTERS = {"float": _float, "int": _int, "bool": _bool, "str": _str, "any": _any}
