"""Dataset identity as OpenLineage names it: a namespace and a name."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_NAMESPACE = "default"


def dataset_ref(value: object) -> dict[str, str]:
    """`{"namespace", "name"}` from a URI (`s3://bucket/key`), a bare name, or a mapping.

    Raises ValueError saying what is wrong. URIs follow the OpenLineage naming spec:
    namespace `scheme://authority`, name the rest of the path.
    """
    if isinstance(value, dict):
        return _from_mapping(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a dataset must be a URI string or an object with namespace and name")
    parts = urlsplit(value.strip())
    if parts.scheme and parts.netloc:
        name = parts.path.lstrip("/") or parts.netloc
        return {"namespace": f"{parts.scheme}://{parts.netloc}", "name": name}
    return {"namespace": DEFAULT_NAMESPACE, "name": value.strip()}


def _from_mapping(value: dict) -> dict[str, str]:
    namespace, name = value.get("namespace"), value.get("name")
    for key, item in (("namespace", namespace), ("name", name)):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"a dataset object needs a non-empty string {key}")
    return {"namespace": namespace.strip(), "name": name.strip()}
