"""An estimator skl2onnx cannot convert is registered as usual, served by scikit-learn,
and its version says why it was not converted.

KernelRidge: skl2onnx has no converter for it, and the upload scan accepts it. (The
issue's FunctionTransformer with a lambda cannot be pickled, and np.log1p is not on the
pickle allow-list, so either would be refused at upload before any conversion.)"""

import functools

import numpy as np
import pytest
from onnxkit import compilation, regression, split_body
from servingkit import invoke, predictions
from sklearn.kernel_ridge import KernelRidge

from kit import joblib_bytes, upload


@functools.cache
def kernel_ridge() -> KernelRidge:
    return KernelRidge(alpha=0.5).fit(*regression())


def rows():
    return regression()[0].iloc[:20]


@pytest.fixture
def uploaded(onnx_on, as_alice):
    return upload(as_alice, "m", joblib_bytes(kernel_ridge()))


def test_it_is_registered_normally(uploaded):
    assert uploaded.status_code == 201, uploaded.content


def test_it_is_served_by_scikit_learn(uploaded, as_bob):
    response = invoke(as_bob, "/model/m/invocations", split_body(rows()))

    assert response["X-Model-Runtime"] == "sklearn"
    assert np.array_equal(predictions(response), kernel_ridge().predict(rows()))


def test_its_version_says_why_it_was_not_converted(uploaded):
    record = compilation()

    assert record.status == "unsupported"
    assert record.reason.startswith("skl2onnx could not convert it")
    assert "KernelRidge" in record.reason
    assert record.sha256 == ""
