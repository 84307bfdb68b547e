"""Helpers for the client's tests. Not a conftest: see tests/kit.py."""

LIVE = {"transaction": True, "serialized_rollback": True}
IRIS_ROW = {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4, "petal width (cm)": 0.2}


def replace_stored_bytes(sha256: str, content: bytes) -> None:
    """Change what the artifact store holds under `sha256`, as an attacker with write
    access to the bucket could."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from registry.artifacts import artifact_key

    storage = storages["artifacts"]
    storage.delete(artifact_key(sha256))
    storage.save(artifact_key(sha256), ContentFile(content))


def flipped(content: bytes) -> bytes:
    """The same bytes with one changed near the end: same size, different sha256."""
    return content[:-20] + bytes([content[-20] ^ 0xFF]) + content[-19:]
