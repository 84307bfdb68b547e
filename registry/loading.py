"""Loading a version's model: hash-verified, then deserialized by the scanning loader;
and its ONNX form's bytes, hash-verified the same way (ONNX is a protobuf, never a pickle,
but bytes changed in the store must not answer for the version all the same)."""

from __future__ import annotations

from registry import artifacts, formats
from registry.models import ModelVersion


def load_version_model(version: ModelVersion) -> object:
    """The estimator of `version`. Raises IntegrityFailure if the stored bytes changed."""
    with artifacts.verified_copy(version.artifact_sha256, version.artifact_size) as path:
        return formats.load_model(path, format=version.artifact_format, trusted_types=tuple(version.trusted_types))


def load_version_onnx(version: ModelVersion) -> bytes | None:
    """The bytes of the version's accepted ONNX form; None when it has none to serve.
    Raises IntegrityFailure if the stored bytes changed."""
    form = getattr(version, "onnx", None)  # no compilation row: None (the accessor's error is an AttributeError)
    if form is None or not form.served:
        return None
    with artifacts.verified_copy(form.sha256, form.size) as path, open(path, "rb") as fh:
        return fh.read()
