"""Is the ONNX form as good as the original? Both score the same rows; every label
must match and every probability agree within PROBABILITY_TOLERANCE (regressions:
np.isclose with REGRESSION_RTOL and a tiny REGRESSION_ATOL, so values near zero are
not held to a relative bound float32 cannot meet). Then both are timed on 1 and 100
rows, through the same calls serving makes."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .form import OnnxForm

PROBABILITY_TOLERANCE = 1e-5
# Per estimator family, where measurements show float32 arithmetic needs more room.
# Empty today: every family we convert agrees within 1e-5.
FAMILY_TOLERANCE: dict[str, float] = {}
REGRESSION_RTOL = 1e-5
REGRESSION_ATOL = 1e-6
LATENCY_REPEATS = 15
LATENCY_BUDGET_SECONDS = 0.3  # per measurement: a slow model is timed fewer times


@dataclass
class Verdict:
    passed: bool
    details: dict = field(default_factory=dict)
    reason: str = ""


def compare(estimator: Any, onnx: OnnxForm, data: Any) -> Verdict:
    expected = estimator.predict(data)
    got = onnx.predict(data)
    if getattr(estimator, "classes_", None) is not None:
        return _classification(estimator, onnx, data, expected, got)
    return _regression(np.asarray(expected, dtype=np.float64), got)


def _classification(estimator, onnx, data, expected, got) -> Verdict:
    mismatched = int(np.count_nonzero(np.asarray(expected) != np.asarray(got).reshape(np.shape(expected))))
    details = {"rows": len(expected), "labels_mismatched": mismatched}
    tolerance = tolerance_for(estimator)
    if onnx.proba_output:
        difference = np.abs(estimator.predict_proba(data) - onnx.predict_proba(data))
        details.update(max_probability_difference=float(difference.max()), tolerance=tolerance)
    if mismatched:
        return Verdict(False, details, f"{mismatched} of {len(expected)} predicted labels differ")
    if details.get("max_probability_difference", 0.0) > tolerance:
        worst = details["max_probability_difference"]
        return Verdict(False, details, f"probabilities differ by up to {worst:.3g} (tolerance {tolerance:g})")
    return Verdict(True, details)


def _regression(expected: np.ndarray, got: np.ndarray) -> Verdict:
    got = got.reshape(expected.shape)
    relative = np.abs(got - expected) / np.maximum(np.abs(expected), np.finfo(np.float64).tiny)
    close = np.isclose(got, expected, rtol=REGRESSION_RTOL, atol=REGRESSION_ATOL)
    details = {
        "rows": len(expected),
        "values_outside_tolerance": int(np.count_nonzero(~close)),
        "max_relative_difference": float(relative.max()),
        "max_absolute_difference": float(np.abs(got - expected).max()),
        "rtol": REGRESSION_RTOL,
        "atol": REGRESSION_ATOL,
    }
    if not close.all():
        worst = details["max_relative_difference"]
        return Verdict(
            False, details, f"{details['values_outside_tolerance']} predictions differ (relative {worst:.3g})"
        )
    return Verdict(True, details)


def tolerance_for(estimator: Any) -> float:
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    return FAMILY_TOLERANCE.get(type(final).__name__, PROBABILITY_TOLERANCE)


# --- latency ---------------------------------------------------------------------------


def latencies(estimator: Any, onnx: OnnxForm, data: Any) -> dict[str, dict[str, float]]:
    """Median milliseconds of `predict` on 1 and 100 rows, for both forms."""
    batches = {"1": _rows(data, 1), "100": _rows(data, 100)}
    return {
        "sklearn": {size: _median_ms(estimator.predict, batch) for size, batch in batches.items()},
        "onnx": {size: _median_ms(onnx.predict, batch) for size, batch in batches.items()},
    }


def _rows(data: Any, count: int) -> Any:
    if hasattr(data, "iloc"):
        return data.iloc[np.arange(count) % len(data)].reset_index(drop=True)
    return data[np.arange(count) % len(data)]


def _median_ms(call, batch: Any) -> float:
    call(batch)  # warm-up: first calls pay for lazy initialisation
    times, deadline = [], time.perf_counter() + LATENCY_BUDGET_SECONDS
    while len(times) < LATENCY_REPEATS and (not times or time.perf_counter() < deadline):
        start = time.perf_counter()
        call(batch)
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 4)
