"""The ports training code is written against. Each has an in-process default
(registry_client.local) and an adapter for the registry server (registry_client.http,
registry_client.tracking); code that takes a port accepts either."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class LineageEvent:
    """A job that read `inputs` and wrote `outputs`. A dataset is a URI
    (`s3://lake/iris.parquet`), `namespace:name`, a `{namespace, name}` mapping, or a bare
    name in the emitter's namespace. `metadata` travels with the run."""

    name: str
    inputs: list[str | dict] = field(default_factory=list)
    outputs: list[str | dict] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunHandle:
    """A training run: its id, its experiment, and what was logged to it so far
    (params as given, metrics at their latest value)."""

    run_id: str
    experiment: str
    name: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class RegistryPort(Protocol):
    def register(self, model: Any, name: str, **extras: Any) -> int:
        """Store `model` as a new version of `name`; return its version number."""

    def load(self, name: str, version: int | str | None = None) -> Any:
        """The model of a version: a number, a stage, an alias or None (the latest)."""


@runtime_checkable
class ModelServerPort(Protocol):
    name: str

    def load(self, ref: str) -> None:
        """Serve the model `ref` names: `iris`, `iris/3`, `iris/Production`, `iris/champion`."""

    def predict(self, X: Any) -> Any:
        """The loaded model's predictions for the rows of X."""


@runtime_checkable
class TrackerPort(Protocol):
    def start_run(self, name: str | None = None) -> RunHandle: ...

    def log_params(self, params: dict[str, Any]) -> None: ...

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None: ...

    def log_model(self, model: Any, artifact_name: str) -> int | None:
        """Record the run's model; an adapter with a registry returns the version it became."""

    def end_run(self, status: str = "FINISHED") -> None: ...


@runtime_checkable
class LineagePort(Protocol):
    def emit(self, event: LineageEvent) -> None: ...
