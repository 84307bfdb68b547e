"""The ONNX compile of a new version, as a background task (registry_site.background)."""

from __future__ import annotations

from django_tasks import task

from registry.compilation import services


@task()
def compile_version(version_id: int) -> str:
    return services.onnx_compile_by_id(version_id)
