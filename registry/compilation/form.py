"""An ONNX form ready to score, answering in the original estimator's shapes: class
labels (not indices) with the dtype of `classes_`, probabilities as (rows, classes) in
`classes_` order, regressions as a flat float64 vector. The equivalence check proves this
object against the original, and serving's runtime (serving.runtime) answers through it.

It takes exactly what serving hands the estimator (a DataFrame or an ndarray, already
checked column by column) and builds the ONNX inputs from it. Where the form cannot take
the rows as ONNX input types (a NaN, an infinity, a number too large for float32, a
non-text value in a text column) `feeds` answers None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ONNX_DTYPES = {
    "tensor(double)": np.float64,
    "tensor(float)": np.float32,
    "tensor(int64)": np.int64,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}
FLOAT32_MAX = float(np.finfo(np.float32).max)


def new_session(content: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    # Serving runs one worker process per core, each answering one request at a time:
    # a thread pool per session would only make the workers fight over the cores (and
    # the check times the form as serving runs it).
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(content, options, providers=["CPUExecutionProvider"])


class OnnxForm:
    def __init__(self, content: bytes, estimator: Any):
        self.session = new_session(content)
        self.inputs = [(i.name, ONNX_DTYPES.get(i.type, object)) for i in self.session.get_inputs()]
        outputs = [o.name for o in self.session.get_outputs()]
        self.label_output = outputs[0]
        self.proba_output = outputs[1] if len(outputs) > 1 and hasattr(estimator, "predict_proba") else None
        classes = getattr(estimator, "classes_", None)
        self.classes_dtype = classes.dtype if isinstance(classes, np.ndarray) else None

    def predict(self, data: Any, feeds: dict | None = None) -> np.ndarray:
        (result,) = self.session.run([self.label_output], feeds or self._required_feeds(data))
        if self.classes_dtype is not None:
            return result.astype(self.classes_dtype, copy=False)
        result = result.astype(np.float64, copy=False)
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result

    def predict_proba(self, data: Any, feeds: dict | None = None) -> np.ndarray:
        (result,) = self.session.run([self.proba_output], feeds or self._required_feeds(data))
        return result.astype(np.float64, copy=False)

    def _required_feeds(self, data: Any) -> dict[str, np.ndarray]:
        feeds = self.feeds(data)
        if feeds is None:
            raise ValueError("the ONNX form cannot take these rows (non-finite, out of range or unknown values)")
        return feeds

    def feeds(self, data: Any) -> dict[str, np.ndarray] | None:
        """The ONNX inputs for `data`, or None when the form cannot take these rows."""
        if len(self.inputs) == 1:
            name, dtype = self.inputs[0]
            array = data.to_numpy() if hasattr(data, "to_numpy") else np.asarray(data)
            columns = {name: array}
        elif hasattr(data, "columns"):
            columns = {name: data[name].to_numpy().reshape(-1, 1) for name, _ in self.inputs}
        else:
            columns = {name: data[:, [i]] for i, (name, _) in enumerate(self.inputs)}
        feeds = {}
        for name, dtype in self.inputs:
            value = _typed(columns[name], dtype)
            if value is None:
                return None
            feeds[name] = value
        return feeds


def _typed(array: np.ndarray, dtype) -> np.ndarray | None:
    if dtype is object:
        return array.astype(object) if all(isinstance(v, str) for v in array.ravel().tolist()) else None
    try:
        source = array.astype(np.float64)
    except (TypeError, ValueError):
        return None
    if not np.isfinite(source).all():
        return None
    if dtype is np.float32 and (np.abs(source) > FLOAT32_MAX).any():
        return None
    return array.astype(dtype, copy=False)
