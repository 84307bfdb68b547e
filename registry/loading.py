"""Loading a version's model: hash-verified, then deserialized by the scanning loader."""

from __future__ import annotations

from registry import artifacts, formats
from registry.models import ModelVersion


def load_version_model(version: ModelVersion) -> object:
    """The estimator of `version`. Raises IntegrityFailure if the stored bytes changed."""
    with artifacts.verified_copy(version.artifact_sha256, version.artifact_size) as path:
        return formats.load_model(path, format=version.artifact_format, trusted_types=tuple(version.trusted_types))
