"""HttpRegistry.load gives a version's ONNX form when asked, or on its own where
scikit-learn is missing and ONNX Runtime is present; its answers are the original's."""

import json
import subprocess
import sys

import pytest
from clientkit import LIVE

from registry_client.http import RegistryClientError
from registry_client.onnx import OnnxModel

pytestmark = pytest.mark.django_db(**LIVE)

WITHOUT_SKLEARN = """
import json, sys
sys.modules["sklearn"] = None  # as on a machine where scikit-learn is not installed
from registry_client.http import HttpRegistry
model = HttpRegistry(sys.argv[1], sys.argv[2]).load("iris")
print(json.dumps([type(model).__name__, model.predict([[5.1, 3.5, 1.4, 0.2], [6.3, 3.3, 6.0, 2.5]]).tolist()]))
"""


def test_asked_for_onnx_it_answers_as_the_original_does(onnx_on, registry, iris, iris_model):
    registry.register(iris_model, "iris")

    model = registry.load("iris", 1, runtime="onnx")

    X = iris[0].iloc[::10]
    assert isinstance(model, OnnxModel)
    assert model.predict(X).tolist() == iris_model.predict(X).tolist()
    assert model.predict_proba(X) == pytest.approx(iris_model.predict_proba(X), abs=1e-5)


def test_without_scikit_learn_the_onnx_form_is_loaded(onnx_on, registry, url, trina_token, iris_model):
    registry.register(iris_model, "iris")

    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_SKLEARN, url, trina_token], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["OnnxModel", [0, 2]]


def test_asking_for_onnx_of_a_version_without_one_is_refused(registry, iris_model):
    registry.register(iris_model, "iris")  # ONNX is off here: never compiled

    with pytest.raises(RegistryClientError, match="iris version 1 has no accepted ONNX form"):
        registry.load("iris", 1, runtime="onnx")


def test_without_scikit_learn_and_no_onnx_form_load_says_which_extra_to_install(registry, url, trina_token, iris_model):
    registry.register(iris_model, "iris")  # the suite's default: ONNX off, so no form to fall back on

    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_SKLEARN, url, trina_token], capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 1
    assert "pip install 'registry-client[sklearn]'" in result.stderr
