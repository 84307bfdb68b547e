"""A version's ONNX form run by ONNX Runtime alone (the [onnx] extra), for machines
without scikit-learn. It takes the server converter's layouts: one tensor holding every
column, or one input per column named after it; the first output is the label, the
second (when there is one) the class probabilities."""

from __future__ import annotations

from typing import Any

ONNX_DTYPES = {
    "tensor(double)": "float64",
    "tensor(float)": "float32",
    "tensor(int64)": "int64",
    "tensor(bool)": "bool",
    "tensor(string)": "object",
}


class OnnxModel:
    def __init__(self, content: bytes) -> None:
        import onnxruntime

        self.session = onnxruntime.InferenceSession(content, providers=["CPUExecutionProvider"])
        self.inputs = [(i.name, ONNX_DTYPES.get(i.type, "object")) for i in self.session.get_inputs()]
        self.outputs = [o.name for o in self.session.get_outputs()]

    def predict(self, X: Any) -> Any:
        result = self._run(self.outputs[0], X)
        return result.ravel() if result.ndim == 2 and result.shape[1] == 1 else result

    def predict_proba(self, X: Any) -> Any:
        if len(self.outputs) < 2:
            raise AttributeError("this ONNX form has no probabilities: it answers predict only")
        return self._run(self.outputs[1], X)

    def _run(self, output: str, X: Any) -> Any:
        (result,) = self.session.run([output], self._feeds(X))
        return result

    def _feeds(self, X: Any) -> dict:
        import numpy as np

        if len(self.inputs) == 1:
            name, dtype = self.inputs[0]
            return {name: np.asarray(X, dtype=dtype)}
        if not hasattr(X, "columns"):
            raise TypeError("this ONNX form takes one input per column: pass a DataFrame")
        return {name: X[name].to_numpy().astype(dtype).reshape(-1, 1) for name, dtype in self.inputs}
