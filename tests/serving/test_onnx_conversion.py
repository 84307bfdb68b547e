"""Each model family the acceptance names is compiled to ONNX at registration, passes
the equivalence check, and is then answered by ONNX Runtime with scikit-learn's labels
on rows it never saw."""

import numpy as np
import pytest
from onnxkit import FAMILIES, compilation, fitted, held_out, split_body
from servingkit import invoke, predictions

from kit import joblib_bytes, upload


@pytest.fixture
def served(onnx_on, as_alice, request):
    family = request.param
    upload(as_alice, "m", joblib_bytes(fitted(family)))
    return family


@pytest.mark.parametrize("served", FAMILIES, indirect=True)
def test_the_version_is_converted_and_passes_the_check(served):
    record = compilation()

    assert (record.status, record.reason) == ("converted", "")
    assert record.equivalence["passed"] is True
    assert record.equivalence["rows"] >= 1000


@pytest.mark.parametrize("served", FAMILIES, indirect=True)
def test_invocations_are_answered_by_onnx_runtime(served, as_bob):
    response = invoke(as_bob, "/model/m/invocations", split_body(held_out(served)))

    assert response.status_code == 200, response.content
    assert response["X-Model-Runtime"] == "onnx"


@pytest.mark.parametrize("served", FAMILIES, indirect=True)
def test_onnx_returns_scikit_learns_predictions_on_held_out_rows(served, as_bob):
    rows = held_out(served)
    expected = fitted(served).predict(rows)

    got = predictions(invoke(as_bob, "/model/m/invocations", split_body(rows)))

    if expected.dtype.kind == "f":  # the regressor: equal within the check's tolerance
        assert np.allclose(got, expected, rtol=1e-5, atol=1e-6)
    else:
        assert got == expected.tolist()


@pytest.mark.parametrize(
    "served", ["random forest classifier", "column transformer with one-hot text columns"], indirect=True
)
def test_onnx_probabilities_are_scikit_learns_in_classes_order(served, as_bob):
    rows = held_out(served)

    got = predictions(invoke(as_bob, "/model/m/invocations", split_body(rows, method="predict_proba")))

    assert np.array(got).shape == (len(rows), len(fitted(served).classes_))
    assert np.allclose(got, fitted(served).predict_proba(rows), atol=1e-5, rtol=0)


@pytest.mark.parametrize("served", ["logistic regression"], indirect=True)
def test_the_version_records_both_runtimes_latencies_on_1_and_100_rows(served):
    latencies = compilation().latency_ms

    assert set(latencies) == {"sklearn", "onnx"}
    for runtime in latencies.values():
        assert set(runtime) == {"1", "100"} and all(ms > 0 for ms in runtime.values())
