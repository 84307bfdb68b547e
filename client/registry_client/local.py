"""Zero-dependency defaults for every port: in-process, nothing leaves the program."""

from __future__ import annotations

import uuid
from typing import Any

from registry_client.ports import LineageEvent, RegistryPort, RunHandle


class InMemoryRegistry:
    """Versions kept in a dict, numbered from 1; `load(name)` answers the newest."""

    def __init__(self) -> None:
        self._versions: dict[str, list[Any]] = {}

    def register(self, model: Any, name: str, **extras: Any) -> int:
        self._versions.setdefault(name, []).append(model)
        return len(self._versions[name])

    def load(self, name: str, version: int | str | None = None) -> Any:
        versions = self._versions.get(name)
        if not versions:
            raise KeyError(f"no model {name!r}")
        if version in (None, "latest"):
            return versions[-1]
        number = int(version)  # stages and aliases exist only on a real registry
        if not 1 <= number <= len(versions):
            raise KeyError(f"model {name!r} has no version {version}")
        return versions[number - 1]


class LocalModelServer:
    """Predicts with a model object in this process: given one, or loaded by reference
    (`iris`, `iris/3`) from a registry port."""

    def __init__(self, model: Any = None, *, name: str = "", registry: RegistryPort | None = None) -> None:
        self.model, self.name, self.registry = model, name, registry

    def load(self, ref: str) -> None:
        if self.registry is None:
            raise RuntimeError("LocalModelServer.load needs a registry to load from")
        name, _, version = ref.partition("/")
        self.model, self.name = self.registry.load(name, version or None), name

    def predict(self, X: Any) -> Any:
        if self.model is None:
            raise RuntimeError("no model loaded: call load(ref) or pass a model")
        return self.model.predict(X)


class NoOpTracker:
    """Keeps the run in memory (so code may read what it logged) and sends nothing."""

    def __init__(self) -> None:
        self.run: RunHandle | None = None

    def start_run(self, name: str | None = None) -> RunHandle:
        self.run = RunHandle(run_id=uuid.uuid4().hex, experiment="", name=name or "")
        return self.run

    def log_params(self, params: dict[str, Any]) -> None:
        if self.run is not None:
            self.run.params.update(params)

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        if self.run is not None:
            self.run.metrics.update(metrics)

    def log_model(self, model: Any, artifact_name: str) -> int | None:
        return None

    def end_run(self, status: str = "FINISHED") -> None:
        self.run = None


class NoOpLineage:
    def emit(self, event: LineageEvent) -> None:
        pass
