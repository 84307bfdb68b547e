"""HttpTracker: the tracker port against the server's MLflow tracking API (DESIGN §3.4).
A run's model becomes a registry version carrying the run's id, params and metrics."""

from __future__ import annotations

import time
from typing import Any

from registry_client.http.connection import DEFAULT_TIMEOUT, RegistryClientError
from registry_client.http.registry import HttpRegistry
from registry_client.ports import RunHandle

API = "/api/2.0/mlflow"


class HttpTracker:
    def __init__(
        self, url: str, token: str | None = None, experiment: str = "Default", *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.registry = HttpRegistry(url, token, timeout=timeout)
        self.connection = self.registry.connection
        self.experiment, self.run = experiment, None

    def start_run(self, name: str | None = None) -> RunHandle:
        body = {"experiment_id": self._experiment_id(), "start_time": _now_ms(), "run_name": name or ""}
        info = self.connection.json("POST", f"{API}/runs/create", json=body)["run"]["info"]
        self.run = RunHandle(run_id=info["run_id"], experiment=info["experiment_id"], name=info.get("run_name", ""))
        return self.run

    def log_params(self, params: dict[str, Any]) -> None:
        run = self._active()
        self._log_batch(params=[{"key": key, "value": str(value)} for key, value in params.items()])
        run.params.update(params)

    def log_metrics(self, metrics: dict[str, float], step: int = 0) -> None:
        run, stamp = self._active(), _now_ms()
        rows = [{"key": key, "value": float(value), "timestamp": stamp, "step": step} for key, value in metrics.items()]
        self._log_batch(metrics=rows)
        run.metrics.update({key: float(value) for key, value in metrics.items()})

    def log_model(self, model: Any, artifact_name: str) -> int:
        """Register `model` as a new version of the model `artifact_name`, from this run:
        the version records the run id and the params and metrics logged so far."""
        run = self._active()
        params = {key: str(value) for key, value in run.params.items()}
        return self.registry.register(model, artifact_name, run_id=run.run_id, params=params, metrics=run.metrics)

    def end_run(self, status: str = "FINISHED") -> None:
        run = self._active()
        body = {"run_id": run.run_id, "status": status, "end_time": _now_ms()}
        self.connection.json("POST", f"{API}/runs/update", json=body)
        self.run = None

    def _experiment_id(self) -> str:
        try:
            found = self.connection.json(
                "GET", f"{API}/experiments/get-by-name", params={"experiment_name": self.experiment}
            )
            return found["experiment"]["experiment_id"]
        except RegistryClientError as exc:
            if exc.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
        return self.connection.json("POST", f"{API}/experiments/create", json={"name": self.experiment})[
            "experiment_id"
        ]

    def _log_batch(self, **rows: list) -> None:
        self.connection.json("POST", f"{API}/runs/log-batch", json={"run_id": self._active().run_id, **rows})

    def _active(self) -> RunHandle:
        if self.run is None:
            raise RuntimeError("no run: call start_run() first")
        return self.run


def _now_ms() -> int:
    return int(time.time() * 1000)
