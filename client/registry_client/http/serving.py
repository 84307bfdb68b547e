"""HttpModelServer: the model-server port against the server's invocations (DESIGN §3.2)."""

from __future__ import annotations

import sys
from typing import Any

from registry_client.http.connection import DEFAULT_TIMEOUT, Connection, segment
from registry_client.http.registry import version_record


class HttpModelServer:
    """Predicts through `/model/<name>[/<ref>]/invocations`. The reference is kept as
    given: `iris/champion` follows the alias when it moves, as the server does."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.connection = Connection(url, token, timeout=timeout)
        self.name, self.ref, self.version = "", "", None

    def load(self, ref: str) -> None:
        """`iris`, `iris/3`, `iris/Production`, `iris/champion`: checked now, so an
        unknown model or reference fails here rather than at the first prediction."""
        name, _, pinned = ref.partition("/")
        self.version = version_record(self.connection, name, pinned or None)["version"]
        self.name, self.ref = name, pinned

    def predict(self, X: Any) -> Any:
        """Predictions for the rows of X (a DataFrame, an array, a list of rows or of
        {column: value} records): a list, or an ndarray when numpy is in use."""
        predictions = self._invoke(json=scoring_body(X))["predictions"]
        if "numpy" in sys.modules:  # only when the caller already has it: never imported for this
            return sys.modules["numpy"].asarray(predictions)
        return predictions

    def predict_csv(self, text: str) -> list:
        """Predictions for CSV text with a header row."""
        return self._invoke(data=text.encode(), headers={"Content-Type": "text/csv"})["predictions"]

    def _invoke(self, **kwargs: Any) -> dict:
        if not self.name:
            raise RuntimeError("no model loaded: call load(ref) first")
        pinned = f"/{segment(self.ref)}" if self.ref else ""
        return self.connection.json("POST", f"/model/{segment(self.name)}{pinned}/invocations", **kwargs)


def scoring_body(X: Any) -> dict:
    """MLflow's scoring protocol: a frame keeps its column names (the server checks them
    against the signature); other rows go as instances."""
    if hasattr(X, "columns") and hasattr(X, "to_numpy"):
        return {"dataframe_split": {"columns": [str(c) for c in X.columns], "data": X.to_numpy().tolist()}}
    if isinstance(X, list) and X and all(isinstance(row, dict) for row in X):
        return {"dataframe_records": X}
    return {"instances": X.tolist() if hasattr(X, "tolist") else list(X)}
