"""The one place skl2onnx is called: a fitted estimator and its input layout to ONNX
bytes. Tests replace `convert` here to simulate a converter that gets things wrong."""

from __future__ import annotations

import logging
import warnings
from typing import Any

from .layout import InputLayout, NotConvertible

log = logging.getLogger(__name__)

# Doubles first (exact for linear models); ONNX's tree operators compute in float32,
# as scikit-learn's trees do, and refuse doubles, so those convert in the second try.
PRECISIONS = ("double", "float")


def convert(estimator: Any, layout: InputLayout) -> tuple[bytes, dict]:
    """(the ONNX model's bytes, what produced them). NotConvertible says why not."""
    problems = []
    for precision in PRECISIONS:
        try:
            content = _converted(estimator, layout, precision)
            _smoke_test(content)
        except NotConvertible:
            raise
        except Exception as exc:  # skl2onnx and onnxruntime raise many kinds
            problems.append(f"{precision}: {type(exc).__name__}: {exc}")
            continue
        return content, {"precision": precision, **tool_versions()}
    raise NotConvertible("skl2onnx could not convert it (" + "; ".join(problems) + ")")


def _converted(estimator: Any, layout: InputLayout, precision: str) -> bytes:
    from skl2onnx import convert_sklearn

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = convert_sklearn(estimator, initial_types=initial_types(layout, precision), options=_options(estimator))
    return model.SerializeToString()


def initial_types(layout: InputLayout, precision: str) -> list[tuple[str, Any]]:
    from skl2onnx.common import data_types as t

    number = t.DoubleTensorType if precision == "double" else t.FloatTensorType
    if not layout.per_column:
        return [("X", number([None, len(layout.names)]))]
    by_kind = {"float": number, "int": t.Int64TensorType, "bool": t.BooleanTensorType, "str": t.StringTensorType}
    return [(name, by_kind[kind]([None, 1])) for name, kind in zip(layout.names, layout.kinds, strict=True)]


def _options(estimator: Any) -> dict:
    """Probabilities as a plain (rows, classes) tensor in `classes_` order, not skl2onnx's
    default list of {class: probability} maps (ZipMap), for every classifier inside."""
    from sklearn.base import is_classifier

    from .layout import parts

    return {id(part): {"zipmap": False} for part in parts(estimator) if is_classifier(part)}


def _smoke_test(content: bytes) -> None:
    """Some conversions only fail when ONNX Runtime builds the session (type errors)."""
    from .form import new_session

    new_session(content)


def tool_versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import skl2onnx

    return {"skl2onnx": skl2onnx.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}
