"""Copy-paste invocation examples built from a version's signature."""

from __future__ import annotations

import json
import shlex

from django.urls import reverse

from registry.models import ModelVersion

SAMPLE_VALUES = {"string": "a", "boolean": True, "long": 0, "integer": 0, "int": 0}
MAX_SAMPLE_WIDTH = 64


def sample_body(version: ModelVersion) -> dict | None:
    """One row in MLflow's scoring format, or None when the signature is unknown or huge."""
    signature = version.signature or {}
    columns = signature.get("inputs")
    if columns and len(columns) <= MAX_SAMPLE_WIDTH and all(c.get("name") for c in columns):
        names = [c["name"] for c in columns]
        row = [SAMPLE_VALUES.get(c.get("type"), 0.0) for c in columns]
        return {"dataframe_split": {"columns": names, "data": [row]}}
    width = (signature.get("tensor") or {}).get("shape", [None, None])[-1] or (len(columns) if columns else 0)
    if 0 < width <= MAX_SAMPLE_WIDTH:
        return {"instances": [[0.0] * width]}
    return None


def curl_command(base_url: str, version: ModelVersion, *, pinned: bool) -> str:
    # Serving's routes, by name: the registry links to serving but never imports it.
    if pinned:
        path = reverse("serving:invocations", args=[version.model.name, str(version.version)])
    else:
        path = reverse("serving:invocations-latest", args=[version.model.name])
    url = f"{base_url}{path}"
    body = sample_body(version) or {"instances": [["..."]]}
    return (
        f'curl -X POST {shlex.quote(url)} \\\n  -H "Authorization: Bearer $TOKEN" '
        f'-H "Content-Type: application/json" \\\n  -d {shlex.quote(json.dumps(body))}'
    )
