"""The Open Inference Protocol (KServe V2, REST): infer requests decoded into the same
`Batch` an invocation makes, so the same signature checks, errors and runtimes answer;
results encoded as OIP output tensors; model metadata from the version's input plan.

An infer request carries either one [rows, columns] tensor, taken in the signature's
column order, or one input per column named as the column (MLServer's pandas
convention, shape [rows] or [rows, 1]). Tensor data is JSON (flat row-major or nested)
or raw bytes after the JSON header (the binary tensor data extension: the
`Inference-Header-Content-Length` header, `parameters.binary_data_size` per input,
BYTES elements each prefixed by a 4-byte little-endian length).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
import orjson

from registry.models import ModelVersion
from registry_site import inputs
from registry_site.errors import InvalidParameter, MalformedRequest

from .decoding import Batch, rows_of_columns, runtime_param
from .errors import UnsupportedMediaType
from .predict import Servable
from .schema import InputPlan

HEADER = "Inference-Header-Content-Length"
JSON = "application/json"
BINARY = "application/octet-stream"
EXTENSIONS = ["binary_tensor_data"]
PLATFORM = "scikit-learn"
OUTPUTS = ("predict", "predict_proba")
TENSOR_INPUT = "input"  # the single-tensor form's name in metadata (any name not a column is taken)

# OIP datatypes and the little-endian numpy dtypes of their binary form (BYTES: length-prefixed).
DTYPES = {
    "BOOL": "?",
    "UINT8": "<u1",
    "UINT16": "<u2",
    "UINT32": "<u4",
    "UINT64": "<u8",
    "INT8": "<i1",
    "INT16": "<i2",
    "INT32": "<i4",
    "INT64": "<i8",
    "FP16": "<f2",
    "FP32": "<f4",
    "FP64": "<f8",
    "BYTES": None,
}
NUMBERS = frozenset(name for name in DTYPES if name.startswith(("INT", "UINT", "FP")))
# The datatypes each column kind (registry.input_contract) takes; its own comes first.
ACCEPTED = {
    "float": ("FP64", *sorted(NUMBERS - {"FP64"})),
    "int": ("INT64", *sorted(NUMBERS - {"INT64"})),
    "bool": ("BOOL",),
    "str": ("BYTES",),
    "any": tuple(DTYPES),
}
# The Python types JSON data of each datatype may hold (null: a missing float).
JSON_TYPES = {
    "BOOL": frozenset({bool}),
    "BYTES": frozenset({str}),
    **{name: frozenset({int, float, type(None)}) for name in NUMBERS if name.startswith("FP")},
    **{name: frozenset({int}) for name in NUMBERS if not name.startswith("FP")},
}
LENGTH = struct.Struct("<I")


@dataclass
class Tensor:
    name: str
    shape: list[int]
    datatype: str
    values: list  # flat, row-major


@dataclass
class Output:
    name: str
    binary: bool


@dataclass
class InferRequest:
    id: str | None
    tensors: list[Tensor]
    outputs: list[Output]
    runtime: str


# --- requests -----------------------------------------------------------------------------


def check_content_type(request) -> None:
    """JSON, or the binary extension's octet-stream. tritonclient sends no Content-Type,
    which some WSGI servers (wsgiref) fill in as text/plain."""
    if request.content_type not in ("", JSON, BINARY, "text/plain"):
        raise UnsupportedMediaType(f"content type {request.content_type!r} is not supported: send {JSON}")
    encoding = request.headers.get("Content-Encoding", "identity").lower()
    if encoding != "identity":
        raise UnsupportedMediaType(f"Content-Encoding {encoding!r} is not supported: send the body uncompressed")


def parse(body: bytes, header_length: str | None) -> InferRequest:
    header, binary = _split(body, header_length)
    data = inputs.parse_json(header)  # depth, NUL and NaN refused there, naming the field
    if not isinstance(data, dict):
        raise InvalidParameter("the infer request must be a JSON object with 'inputs'")
    specs = data.get("inputs")
    if not isinstance(specs, list) or not specs or not all(isinstance(spec, dict) for spec in specs):
        raise InvalidParameter("inputs must be a non-empty list of tensors, each {name, shape, datatype, data}")
    chunks = _Chunks(binary)
    tensors = [_tensor(spec, index, chunks) for index, spec in enumerate(specs)]
    chunks.finish()
    parameters = _parameters(data.get("parameters"), "parameters")
    outputs = _outputs(data.get("outputs"), parameters.get("binary_data_output") is True)
    request_id = data.get("id")
    if request_id is not None and not isinstance(request_id, str):
        raise InvalidParameter("id must be a string")
    return InferRequest(request_id, tensors, outputs, runtime_param(parameters))


def _split(body: bytes, header_length: str | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    if not header_length.isascii() or not header_length.isdigit() or int(header_length) > len(body):
        raise MalformedRequest(f"{HEADER} must be the JSON header's length in bytes, at most the body's {len(body)}")
    return body[: int(header_length)], body[int(header_length) :]


class _Chunks:
    """The binary part of a request, handed out in the order the inputs name their sizes."""

    def __init__(self, binary: bytes):
        self.binary, self.offset = binary, 0

    def take(self, size: int, name: str) -> bytes:
        if self.offset + size > len(self.binary):
            raise InvalidParameter(f"input {name!r}: binary_data_size {size} runs past the end of the body")
        self.offset += size
        return self.binary[self.offset - size : self.offset]

    def finish(self) -> None:
        if self.offset != len(self.binary):
            extra = len(self.binary) - self.offset
            raise InvalidParameter(
                f"the body has {extra} bytes after the JSON header that no input's binary_data_size claims"
            )


def _parameters(value: object, field: str) -> dict:
    """OIP parameters are open-ended: unknown ones are ignored, as the protocol allows."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidParameter(f"{field} must be an object")
    return value


def _tensor(spec: dict, index: int, chunks: _Chunks) -> Tensor:
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise InvalidParameter(f"inputs[{index}].name must be a non-empty string")
    shape = spec.get("shape")
    if not isinstance(shape, list) or not shape or not all(type(n) is int and n >= 0 for n in shape):
        raise InvalidParameter(f"input {name!r}: shape must be a list of sizes, e.g. [2, 4]")
    datatype = spec.get("datatype")
    if datatype not in DTYPES:
        raise InvalidParameter(f"input {name!r}: datatype {datatype!r} is not one of {', '.join(DTYPES)}")
    size = _parameters(spec.get("parameters"), f"input {name!r} parameters").get("binary_data_size")
    if size is not None:
        if type(size) is not int or size < 0:
            raise InvalidParameter(f"input {name!r}: binary_data_size must be a number of bytes")
        values = _from_bytes(chunks.take(size, name), datatype, name)
    elif "data" in spec:
        values = _from_json(spec["data"], datatype, name)
    else:
        raise InvalidParameter(f"input {name!r} has neither data nor parameters.binary_data_size")
    expected = math.prod(shape)
    if len(values) != expected:
        raise InvalidParameter(f"input {name!r}: shape {shape} holds {expected} values, but {len(values)} were sent")
    return Tensor(name, shape, datatype, values)


def _from_json(data: object, datatype: str, name: str) -> list:
    flat = _flattened(data) if isinstance(data, list) else [data]
    allowed = JSON_TYPES[datatype]
    if not set(map(type, flat)) <= allowed:
        position, value = next((i, v) for i, v in enumerate(flat) if type(v) not in allowed)
        raise InvalidParameter(f"input {name!r}: value {value!r} at position {position} is not {datatype}")
    return flat


def _flattened(data: list) -> list:
    while list in set(map(type, data)):  # a C-speed scan: flat data is the common case
        data = list(chain.from_iterable(item if type(item) is list else (item,) for item in data))
    return data


def _from_bytes(raw: bytes, datatype: str, name: str) -> list:
    if datatype == "BYTES":
        return _length_prefixed(raw, name)
    dtype = np.dtype(DTYPES[datatype])
    if len(raw) % dtype.itemsize:
        raise InvalidParameter(f"input {name!r}: {len(raw)} bytes is not a whole number of {datatype} values")
    return np.frombuffer(raw, dtype=dtype).tolist()


def _length_prefixed(raw: bytes, name: str) -> list[str]:
    values, offset = [], 0
    while offset < len(raw):
        if offset + LENGTH.size > len(raw):
            raise InvalidParameter(f"input {name!r}: a BYTES element's 4-byte length is cut short")
        (length,) = LENGTH.unpack_from(raw, offset)
        element = raw[offset + LENGTH.size : offset + LENGTH.size + length]
        if len(element) != length:
            raise InvalidParameter(f"input {name!r}: a BYTES element is shorter than its length {length}")
        try:
            values.append(element.decode("utf-8"))
        except UnicodeDecodeError:
            raise InvalidParameter(f"input {name!r}: BYTES element {len(values)} is not UTF-8 text") from None
        offset += LENGTH.size + length
    return values


def _outputs(specs: object, binary_by_default: bool) -> list[Output]:
    if specs is None:
        return [Output("predict", binary_by_default)]
    if not isinstance(specs, list) or not specs or not all(isinstance(spec, dict) for spec in specs):
        raise InvalidParameter(f"outputs must be a non-empty list of {{name}}, each one of {', '.join(OUTPUTS)}")
    return [_output(spec, binary_by_default) for spec in specs]


def _output(spec: dict, binary_by_default: bool) -> Output:
    name = spec.get("name")
    if name not in OUTPUTS:
        raise InvalidParameter(f"unknown output {name!r}: the outputs are {', '.join(OUTPUTS)}")
    parameters = _parameters(spec.get("parameters"), f"output {name!r} parameters")
    if parameters.get("classification"):
        raise InvalidParameter(f"output {name!r}: the classification extension is not supported")
    return Output(name, parameters.get("binary_data", binary_by_default) is True)


# --- tensors to rows ------------------------------------------------------------------------


def batch(tensors: list[Tensor], plan: InputPlan) -> Batch:
    """The rows the tensors hold: one [rows, columns] tensor (positional), or one input per
    column (named, so conversion puts them in the model's order and names what is missing)."""
    if len(tensors) == 1 and not (plan.named and tensors[0].name in plan.positions):
        return _tensor_rows(tensors[0], plan)
    return _column_rows(tensors, plan)


def _tensor_rows(tensor: Tensor, plan: InputPlan) -> Batch:
    if len(tensor.shape) != 2:
        raise InvalidParameter(f"input {tensor.name!r}: shape {tensor.shape} is not [rows, columns]: {_forms(plan)}")
    rows, width = tensor.shape
    if plan.columns is not None and width != len(plan.columns):
        raise InvalidParameter(
            f"input {tensor.name!r}: shape {tensor.shape} has {width} columns; the model takes {len(plan.columns)}"
        )
    for index in range(width):
        _check_datatype(tensor, plan.column(index).kind, plan.column(index).title)
    values = tensor.values
    return Batch(None, [values[row * width : (row + 1) * width] for row in range(rows)])


def _column_rows(tensors: list[Tensor], plan: InputPlan) -> Batch:
    for tensor in tensors:
        if not (plan.named and tensor.name in plan.positions):
            raise InvalidParameter(f"unknown input {tensor.name!r}: {_forms(plan)}")
        if len(tensor.shape) > 2 or tensor.shape[1:] not in ([], [1]):
            raise InvalidParameter(f"input {tensor.name!r}: shape {tensor.shape} is not [rows] or [rows, 1]")
        column = plan.column(plan.positions[tensor.name])
        _check_datatype(tensor, column.kind, column.title)
    columns = [(tensor.name, tensor.values) for tensor in tensors]
    return rows_of_columns(columns, "input {name!r} has {other} rows but input {first!r} has {size}")


def _check_datatype(tensor: Tensor, kind: str, title: str) -> None:
    if tensor.datatype not in ACCEPTED[kind]:
        raise InvalidParameter(
            f"input {tensor.name!r}: datatype {tensor.datatype} does not fit {title}, which takes {ACCEPTED[kind][0]}"
        )


def _forms(plan: InputPlan) -> str:
    """What the model takes, for messages."""
    if not plan.named:
        return "send one [rows, columns] tensor (the model's columns are unnamed)"
    return f"send one input per column ({', '.join(plan.names)}) or one [rows, columns] tensor"


# --- responses ----------------------------------------------------------------------------


def response(
    version: ModelVersion, request_id: str | None, results: Iterable[tuple[Output, Any]]
) -> tuple[bytes, int | None]:
    """The response body, and the JSON header's length when binary outputs follow it."""
    outputs, binary = [], []
    for output, result in results:
        array = _plain_array(result)
        tensor = {"name": output.name, "datatype": _datatype(array), "shape": list(array.shape)}
        if output.binary:
            raw = _to_bytes(array, tensor["datatype"])
            tensor["parameters"] = {"binary_data_size": len(raw)}
            binary.append(raw)
        else:
            tensor["data"] = array.reshape(-1) if array.dtype != object else array.reshape(-1).tolist()
        outputs.append(tensor)
    body = {"model_name": version.model.name, "model_version": str(version.version), "outputs": outputs}
    if request_id is not None:
        body["id"] = request_id
    header = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    return (header + b"".join(binary), len(header)) if binary else (header, None)


def _plain_array(result: Any) -> np.ndarray:
    """Numbers and booleans as they are, in an OIP datatype; anything else (text labels,
    objects) as an object array of str, sent as BYTES."""
    array = np.asarray(result)
    if array.dtype.kind not in "biuf":
        return array.astype(str).astype(object)
    if array.dtype == np.float16:  # orjson cannot write it; FP32 holds every value
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


def _datatype(array: np.ndarray) -> str:
    if array.dtype == object:
        return "BYTES"
    return next(name for name, dtype in DTYPES.items() if dtype and np.dtype(dtype) == array.dtype.newbyteorder("<"))


def _to_bytes(array: np.ndarray, datatype: str) -> bytes:
    if datatype != "BYTES":
        return array.astype(DTYPES[datatype], copy=False).tobytes()
    encoded = [value.encode("utf-8") for value in array.reshape(-1).tolist()]
    return b"".join(LENGTH.pack(len(value)) + value for value in encoded)


# --- metadata ------------------------------------------------------------------------------


def model_metadata(version: ModelVersion, servable: Servable, versions: Iterable[int]) -> dict:
    """Inputs one per column (named signatures) or one [rows, columns] tensor, and the
    single-tensor form in parameters for clients that send a matrix."""
    plan = servable.plan
    width = len(plan.columns) if plan.columns is not None else -1
    tensor = {"name": TENSOR_INPUT, "datatype": _plan_datatype(plan), "shape": [-1, width]}
    columns = [{"name": c.label, "datatype": ACCEPTED[c.kind][0], "shape": [-1, 1]} for c in plan.columns or ()]
    return {
        "name": version.model.name,
        "versions": [str(number) for number in versions],
        "platform": PLATFORM,
        "inputs": columns if plan.named else [tensor],
        "outputs": _output_metadata(servable),
        "parameters": {"content_type": "pd" if plan.named else "np", "tensor_input": tensor},
    }


def _plan_datatype(plan: InputPlan) -> str:
    kinds = {column.kind for column in plan.columns or ()}
    if len(kinds) == 1:
        return ACCEPTED[kinds.pop()][0]
    return "FP64" if plan.numeric else "BYTES"


def _output_metadata(servable: Servable) -> list[dict]:
    classes = getattr(servable.estimator, "classes_", None)
    label = _datatype(_plain_array(classes)) if classes is not None else "FP64"
    outputs = [{"name": "predict", "datatype": label, "shape": [-1]}]
    if "predict_proba" in servable.methods:
        width = len(classes) if classes is not None else -1
        outputs.append({"name": "predict_proba", "datatype": "FP64", "shape": [-1, width]})
    return outputs
