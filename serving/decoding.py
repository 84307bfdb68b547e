"""Request bodies in MLflow's scoring formats, decoded to rows and column names.

`application/json`: an object with exactly one of `dataframe_split`, `dataframe_records`,
`instances` or `inputs`, and optionally `params` (`{"method": "predict_proba"}`, and
`{"runtime": "sklearn"}` to be answered by the original rather than its ONNX form).
`text/csv`: a header row, then one line per row. Checking the values against the
model's signature is `conversion.py`'s job; this module only checks the shapes.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.conf import settings

from registry_site import inputs
from registry_site.errors import InvalidParameter, MalformedRequest

from .errors import UnsupportedMediaType

JSON = "application/json"
CSV = "text/csv"
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
SKLEARN = "sklearn"
AUTO = "auto"
RUNTIMES = (AUTO, SKLEARN)  # auto: ONNX Runtime where the version has a form (predict.py)


@dataclass
class Batch:
    names: list[str] | None  # None: rows are positional, in the signature's order
    rows: list  # each a list (or tuple) of values
    text: bool = False  # values are CSV text, converted by each column's type


@dataclass
class Scoring:
    batch: Batch
    method: str = "predict"
    runtime: str = AUTO


def media_type(request) -> str:
    """The body's media type, if serving understands it; 415 otherwise."""
    charset = request.content_params.get("charset", "utf-8").lower()
    if request.content_type not in (JSON, CSV) or charset not in ("utf-8", "utf8"):
        given = request.META.get("CONTENT_TYPE") or "none"
        raise UnsupportedMediaType(f"content type {given!r} is not supported: send {JSON} or {CSV} (UTF-8)")
    return request.content_type


def read_body(request) -> bytes:
    """The whole body, refused with 413 past SERVING_MAX_BODY_BYTES before most of it is read."""
    return inputs.read_at_most(
        request, settings.SERVING_MAX_BODY_BYTES, setting="SERVING_MAX_BODY_BYTES", meta=request.META
    )


def decode(content_type: str, body: bytes) -> Scoring:
    if content_type == CSV:
        return Scoring(_csv_batch(body))
    return _json_scoring(body)


# --- JSON ------------------------------------------------------------------------------


def _json_scoring(body: bytes) -> Scoring:
    data = inputs.parse_json(body)  # depth, NUL and NaN refused there, naming the field
    if not isinstance(data, dict):
        raise InvalidParameter(f"the body must be a JSON object with exactly one of {', '.join(FORMATS)}")
    given = [key for key in FORMATS if key in data]
    if len(given) != 1:
        found = ", ".join(given) or "none"
        raise InvalidParameter(f"the body must have exactly one of the input fields {', '.join(FORMATS)}; got {found}")
    unknown = sorted(set(data) - {given[0], "params"})
    if unknown:
        raise InvalidParameter(f"unknown field {unknown[0]!r}: besides the input, only 'params' is accepted")
    params = _params(data.get("params"))
    return Scoring(_DECODERS[given[0]](data[given[0]]), _method(params), runtime_param(params))


def _split(value: object) -> Batch:
    if not isinstance(value, dict) or "data" not in value:
        raise InvalidParameter("dataframe_split must be an object with 'data' (a list of rows) and 'columns'")
    columns = value.get("columns")
    if columns is not None and not (isinstance(columns, list) and all(isinstance(c, str) for c in columns)):
        raise InvalidParameter("dataframe_split.columns must be a list of column names")
    return Batch(columns, _rows(value["data"], "dataframe_split.data"))


def _records(value: object, field: str = "dataframe_records") -> Batch:
    if not isinstance(value, list) or not all(isinstance(record, dict) for record in value):
        raise InvalidParameter(f"{field} must be a list of objects, one per row")
    if not value:
        return Batch(None, [])
    names = list(value[0])
    for index, record in enumerate(value):
        if len(record) != len(names) or record.keys() != value[0].keys():
            _record_mismatch(field, index, names, record)
    return Batch(names, [[record[name] for name in names] for record in value])


def _record_mismatch(field: str, index: int, names: list[str], record: dict):
    missing = [name for name in names if name not in record]
    if missing:
        raise InvalidParameter(f"{field}[{index}] is missing column {missing[0]!r}")
    extra = next(name for name in record if name not in names)
    raise InvalidParameter(f"{field}[{index}] has column {extra!r}, which {field}[0] does not have")


def _instances(value: object, field: str = "instances") -> Batch:
    if not isinstance(value, list):
        raise InvalidParameter(f"{field} must be a list of rows")
    if value and all(isinstance(item, dict) for item in value):
        return _records(value, field)
    if not any(isinstance(item, list | dict) for item in value):
        return Batch(None, [[item] for item in value])  # one value per row: a one-column model
    return Batch(None, _rows(value, field))


def _inputs(value: object) -> Batch:
    if not isinstance(value, dict):
        return _instances(value, "inputs")
    for name, column in value.items():
        if not isinstance(column, list):
            raise InvalidParameter(f"inputs.{name} must be a list of values, one per row")
    return rows_of_columns(
        list(value.items()), "ragged columns: inputs.{name} has {other} values but inputs.{first} has {size}"
    )


def rows_of_columns(columns: list[tuple[str, list]], mismatch: str) -> Batch:
    """Named rows from (name, values) columns; a column whose length differs from the
    first's is refused with `mismatch` (formatted with name, other, first, size)."""
    if not columns:
        return Batch([], [])
    (first, values), *others = columns
    size = len(values)
    for name, column in others:
        if len(column) != size:
            raise InvalidParameter(mismatch.format(name=name, other=len(column), first=first, size=size))
    return Batch([name for name, _ in columns], list(zip(*(column for _, column in columns), strict=True)))


def _rows(value: object, field: str) -> list:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise InvalidParameter(f"{field} must be a list of rows, each a list of values")
    return value


_DECODERS = {"dataframe_split": _split, "dataframe_records": _records, "instances": _instances, "inputs": _inputs}


def _params(params: object) -> dict:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise InvalidParameter('params must be an object, e.g. {"method": "predict_proba"}')
    unknown = sorted(set(params) - {"method", "runtime"})
    if unknown:
        raise InvalidParameter(f"params.{unknown[0]} is not a known parameter: they are 'method' and 'runtime'")
    return params


def runtime_param(params: dict) -> str:
    runtime = params.get("runtime", AUTO)
    if runtime not in RUNTIMES:
        raise InvalidParameter(f"params.runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    return runtime


def _method(params: dict) -> str:
    method = params.get("method", "predict")
    if method not in METHODS:
        raise InvalidParameter(f"params.method must be one of {', '.join(METHODS)}, not {method!r}")
    return method


# --- CSV -------------------------------------------------------------------------------


def _csv_batch(body: bytes) -> Batch:
    try:
        lines = [row for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))) if row]
    except UnicodeDecodeError:
        raise MalformedRequest("the CSV body is not UTF-8 text") from None
    except csv.Error as exc:
        raise MalformedRequest(f"the CSV body could not be read: {exc}") from None
    if not lines:
        raise InvalidParameter("the CSV body is empty: send a header row, then one line per row")
    return Batch(lines[0], lines[1:], text=True)
