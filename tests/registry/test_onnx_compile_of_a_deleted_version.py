"""A version deleted while its ONNX compile runs: the compile stops quietly (INFO in the
log) instead of failing to record its outcome against a row that is gone."""

import logging

from registry import services
from registry.compilation import services as compilation
from registry.models import ModelVersion, OnnxCompilation

from kit import upload


def test_a_version_deleted_during_its_compile_records_nothing_and_raises_nothing(
    as_alice, carol, iris_joblib, monkeypatch, caplog
):
    assert upload(as_alice, "iris", iris_joblib).status_code == 201  # ONNX off: not compiled yet
    version = ModelVersion.objects.select_related("model").get(model__name="iris", version=1)
    load = compilation.load_version_model

    def load_then_deleted(found):
        # Another request deletes the version once its compile has started.
        services.model_version_delete(actor=carol, version=ModelVersion.objects.get(pk=found.pk))
        return load(found)

    monkeypatch.setattr(compilation, "load_version_model", load_then_deleted)

    with caplog.at_level(logging.INFO, logger=compilation.__name__):
        outcome = compilation.onnx_compile(version=version)

    assert outcome is None
    assert not OnnxCompilation.objects.exists()
    assert "deleted meanwhile" in caplog.text
