"""ONNX Runtime at request time: a version's accepted ONNX form (registry.compilation.form,
the object the equivalence check proved) answers a request only where the original would
take the rows. A category an encoder refuses, a value the form cannot take, a method the
form lacks, or ONNX Runtime failing: `answer` gives None and scikit-learn answers, so
ONNX never answers what scikit-learn would have refused."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from registry.compilation.form import OnnxForm
from registry.compilation.layout import encoder_categories

log = logging.getLogger(__name__)


class OnnxRuntime:
    METHODS = ("predict", "predict_proba")

    def __init__(self, content: bytes, estimator: Any):
        self.form = OnnxForm(content, estimator)
        # The categories of encoders that refuse unseen ones (handle_unknown="error").
        self.strict = {n: set(c.values) for n, c in encoder_categories(estimator).items() if c.strict}

    @property
    def methods(self) -> tuple[str, ...]:
        return self.METHODS if self.form.proba_output else self.METHODS[:1]

    def answer(self, method: str, data: Any) -> np.ndarray | None:
        """ONNX Runtime's answer to `method` on `data`, or None where the original must answer."""
        if method not in self.methods:
            return None
        feeds = self.form.feeds(data)
        if feeds is None or not all(self._known(name, value) for name, value in feeds.items()):
            return None
        try:
            return getattr(self.form, method)(data, feeds)
        except Exception:  # onnxruntime's own error types; the original still answers
            log.exception("ONNX Runtime failed on rows the original takes; answering with scikit-learn")
            return None

    def _known(self, name: str, value: np.ndarray) -> bool:
        known = self.strict.get(name)
        return known is None or all(v in known for v in value.ravel().tolist())
