"""When compilation happens: after the version commits, in a background task that a
worker runs, so the upload's 201 never waits for it; never with SERVING_ONNX off; and on
demand with `manage.py compile_onnx`."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult
from onnxkit import compilation, fitted, held_out, split_body

from registry.models import OnnxCompilation

from kit import joblib_bytes, upload

FAMILY = "logistic regression"


def test_in_the_background_the_upload_answers_with_the_compilation_pending(
    onnx_on, settings, as_alice, django_capture_on_commit_callbacks
):
    settings.ONNX_COMPILE_IN_BACKGROUND = True

    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        response = upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))

    assert not DBTaskResult.objects.exists()  # nothing is enqueued before the version commits
    assert response.status_code == 201
    assert response.json()["onnx"]["status"] == "pending"
    assert response.json()["onnx"]["runtime"] == "sklearn"
    assert compilation().status == "pending"
    assert after_commit  # the enqueueing waits for the commit


@pytest.mark.worker
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_compiles_a_new_version_and_serving_then_uses_onnx(onnx_on, settings, as_alice, run_worker):
    settings.ONNX_COMPILE_IN_BACKGROUND = True
    uploaded = upload(as_alice, "m", joblib_bytes(fitted(FAMILY)))

    run_worker()

    shown = as_alice.get("/api/v1/models/m/versions/1").json()["onnx"]
    served = as_alice.post("/model/m/invocations", split_body(held_out(FAMILY)), content_type="application/json")
    assert uploaded.json()["onnx"]["status"] == "pending"
    assert (shown["status"], shown["runtime"]) == ("converted", "onnx")
    assert served.status_code == 200
    assert served["X-Model-Runtime"] == "onnx"


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
