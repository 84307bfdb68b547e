"""Promotion policies: what their rules may say, and the checks a candidate version
passes or fails against them. Pure reading: the services decide what a failure blocks."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from registry.models import ModelVersion
from registry_site.errors import InvalidParameter

NOTHING_SERVES = "nothing serves it yet"


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


# --- rules ------------------------------------------------------------------------------


def _metric_names(value: object, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise InvalidParameter(f"{key} must be a list of metric names")
    return value


def _thresholds(value: object, key: str) -> dict[str, float]:
    if not isinstance(value, dict) or not all(_is_number(v) for v in value.values()):
        raise InvalidParameter(f'{key} must be an object of metric names to numbers, e.g. {{"accuracy": 0.9}}')
    return value


def _flag(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidParameter(f"{key} must be true or false")
    return value


def _count(value: object, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameter(f"{key} must be a whole number, 0 or more")
    return value


RULES = {
    "min_metrics": _thresholds,
    "must_beat_current": _metric_names,
    "lower_is_better": _metric_names,
    "signature_compatible": _flag,
    "approvals_required": _count,
}


def check_rules(rules: object) -> dict:
    """`rules` as given, once every key is known and of its type; else 400 naming the key."""
    if not isinstance(rules, dict):
        raise InvalidParameter(f"a policy is a JSON object with any of the keys {', '.join(RULES)}")
    for key, value in rules.items():
        if key not in RULES:
            raise InvalidParameter(f"{key}: unknown rule; a policy may hold {', '.join(RULES)}")
        RULES[key](value, key)
    return dict(rules)


def _is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


# --- checks -----------------------------------------------------------------------------


def evaluate(
    rules: dict, *, candidate: ModelVersion, current: ModelVersion | None, approvers: list[str]
) -> list[Check]:
    """Every check `rules` asks for, in the order a reader weighs them. `current` is
    the version serving the target now, None when nothing does."""
    lower = set(rules.get("lower_is_better", []))
    # By name: PostgreSQL's jsonb keeps no key order, and the checks read the same everywhere.
    thresholds = sorted(rules.get("min_metrics", {}).items())
    checks = [_threshold(candidate, metric, limit, metric in lower) for metric, limit in thresholds]
    checks += [_beats(candidate, current, metric, metric in lower) for metric in rules.get("must_beat_current", [])]
    if rules.get("signature_compatible"):
        checks.append(_signature(candidate, current))
    if rules.get("approvals_required"):
        checks.append(_approvals(approvers, rules["approvals_required"]))
    return checks


def _threshold(candidate: ModelVersion, metric: str, limit: float, lower: bool) -> Check:
    name = f"min_metrics.{metric}"
    value = candidate.metrics.get(metric)
    if not _is_number(value):
        return Check(name, False, f"{metric} is not recorded for version {candidate.version}")
    passed = value <= limit if lower else value >= limit
    relation = ("<=" if passed else ">") if lower else (">=" if passed else "<")
    return Check(name, passed, f"{metric} {value} {relation} {limit}")


def _beats(candidate: ModelVersion, current: ModelVersion | None, metric: str, lower: bool) -> Check:
    name = f"must_beat_current.{metric}"
    if current is None:
        return Check(name, True, NOTHING_SERVES)
    value, held = candidate.metrics.get(metric), current.metrics.get(metric)
    if not _is_number(value):
        return Check(name, False, f"{metric} is not recorded for version {candidate.version}")
    if not _is_number(held):
        return Check(name, True, f"version {current.version}, serving now, has no {metric} to beat")
    passed = value < held if lower else value > held
    verdict = "beats" if passed else "does not beat"
    better = "lower" if lower else "higher"
    return Check(name, passed, f"{metric} {value} {verdict} {held} of version {current.version} ({better} is better)")


def _signature(candidate: ModelVersion, current: ModelVersion | None) -> Check:
    if current is None:
        return Check("signature_compatible", True, NOTHING_SERVES)
    mine, theirs = _columns(candidate), _columns(current)
    if mine == theirs:
        return Check("signature_compatible", True, f"same inputs as version {current.version}")
    return Check(
        "signature_compatible", False, f"inputs differ from version {current.version}: {_difference(mine, theirs)}"
    )


def _columns(version: ModelVersion) -> dict:
    """Input column names and types; a tensor signature as its one spec; {} if unknown."""
    signature = version.signature or {}
    if signature.get("inputs"):
        return {column.get("name"): column.get("type") for column in signature["inputs"]}
    return {"(tensor)": signature["tensor"]} if signature.get("tensor") else {}


def _difference(mine: dict, theirs: dict) -> str:
    parts = []
    if missing := sorted(set(theirs) - set(mine), key=str):
        parts.append(f"missing {', '.join(map(str, missing))}")
    if extra := sorted(set(mine) - set(theirs), key=str):
        parts.append(f"new {', '.join(map(str, extra))}")
    if changed := sorted((k for k in set(mine) & set(theirs) if mine[k] != theirs[k]), key=str):
        parts.append("; ".join(f"{k} is {mine[k]}, was {theirs[k]}" for k in changed))
    return "; ".join(parts) or "no signature recorded"


def _approvals(approvers: list[str], required: int) -> Check:
    by = f": {', '.join(approvers)}" if approvers else ""
    return Check("approvals", len(approvers) >= required, f"{len(approvers)} of {required} approvals{by}")
