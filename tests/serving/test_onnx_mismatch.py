"""A conversion whose outputs differ from the original's is rejected, recorded with
its worst difference, and never served.

The mismatch is simulated with a test double at the converter boundary
(`registry.compilation.converter.convert`): it hands back the ONNX form of a
different model (fit on shuffled labels), as a buggy converter would."""

import numpy as np
import pytest
from onnxkit import classification, compilation, fitted, held_out, split_body
from servingkit import invoke, predictions
from sklearn.linear_model import LogisticRegression

from registry.compilation import converter

from kit import joblib_bytes, stored_objects, upload

FAMILY = "logistic regression"


@pytest.fixture
def wrong_converter(monkeypatch):
    """Converts a model fit on shuffled labels instead of the one it is given."""
    real = converter.convert
    X, y = classification()
    impostor = LogisticRegression(max_iter=2000).fit(X, np.random.default_rng(0).permutation(y))

    def convert(estimator, layout):
        return real(impostor, layout)

    monkeypatch.setattr(converter, "convert", convert)


@pytest.fixture
def uploaded(onnx_on, wrong_converter, as_alice):
    response = upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    assert response.status_code == 201, response.content


def test_the_mismatch_is_rejected_and_recorded_with_the_worst_difference(uploaded):
    record = compilation()

    assert record.status == "mismatch"
    assert record.reason.startswith("outputs differ from scikit-learn:")
    assert record.equivalence["passed"] is False
    assert record.equivalence["labels_mismatched"] > 0
    assert record.equivalence["max_probability_difference"] > 1e-5


def test_the_rejected_form_is_never_served(uploaded, as_bob):
    rows = held_out(FAMILY)

    response = invoke(as_bob, "/model/m/invocations", split_body(rows))

    assert response["X-Model-Runtime"] == "sklearn"
    assert predictions(response) == fitted(FAMILY).predict(rows).tolist()


def test_the_rejected_form_is_not_stored(uploaded, artifact_store):
    record = compilation()

    assert record.sha256 == "" and record.size is None
    assert len(stored_objects(artifact_store)) == 1  # the original only
