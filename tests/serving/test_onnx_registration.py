"""When compilation happens: after the version commits, in a background thread, so the
upload's 201 never waits for it; never with SERVING_ONNX off; and on demand with
`manage.py compile_onnx`."""

from io import StringIO

import pytest
from django.core.management import call_command
from onnxkit import compilation, fitted

from registry.compilation import services as compilation_services
from registry.models import OnnxCompilation

from kit import joblib_bytes, upload

FAMILY = "logistic regression"


@pytest.fixture
def started(monkeypatch) -> list[int]:
    """The version ids handed to background threads (none is started in tests)."""
    seen = []
    monkeypatch.setattr(compilation_services, "_start", seen.append)
    return seen


def test_in_the_background_the_upload_answers_with_the_compilation_pending(
    onnx_on, settings, as_alice, started, django_capture_on_commit_callbacks
):
    settings.ONNX_COMPILE_IN_BACKGROUND = True

    with django_capture_on_commit_callbacks(execute=False):
        response = upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))

    assert response.status_code == 201
    assert response.json()["onnx"]["status"] == "pending"
    assert response.json()["onnx"]["runtime"] == "sklearn"
    assert started == []  # not before the version is committed


def test_in_the_background_compiling_starts_once_the_version_commits(
    onnx_on, settings, as_alice, started, django_capture_on_commit_callbacks
):
    settings.ONNX_COMPILE_IN_BACKGROUND = True

    with django_capture_on_commit_callbacks(execute=True):
        upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))

    assert started == [compilation().version_id]


def test_with_serving_onnx_off_nothing_is_compiled(as_alice):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))

    assert not OnnxCompilation.objects.exists()


def test_the_command_compiles_versions_never_compiled(as_alice, settings):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    out = StringIO()

    call_command("compile_onnx", "--pending", stdout=out)

    assert out.getvalue().strip() == "m version 1: converted"
    assert compilation().status == "converted"


def test_the_command_recompiles_a_named_version(onnx_on, as_alice):
    upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))
    OnnxCompilation.objects.update(status="failed", reason="store was down")
    out = StringIO()

    call_command("compile_onnx", "m", "--versions", "1", stdout=out)

    assert (compilation().status, compilation().reason) == ("converted", "")
