"""Comparing versions: side-by-side rows and small server-rendered SVG charts."""

from __future__ import annotations

from django.utils.html import escape

from registry.models import ModelVersion

WIDTH, HEIGHT, PAD = 360, 160, 34


def side_by_side(versions: list[ModelVersion], field: str, only_differences: bool) -> list[dict]:
    """Rows of {key, values (one per version), differs} for params or metrics."""
    keys = sorted({key for version in versions for key in getattr(version, field)})
    rows = []
    for key in keys:
        values = [getattr(version, field).get(key) for version in versions]
        differs = len({repr(v) for v in values}) > 1
        if differs or not only_differences:
            rows.append({"key": key, "values": values, "differs": differs})
    return rows


def signature_rows(versions: list[ModelVersion], only_differences: bool) -> list[dict]:
    """One row per input column: its type in each version ("—" when absent)."""
    columns = [_columns(version) for version in versions]
    names = sorted({name for found in columns for name in found})
    rows = []
    for name in names:
        values = [found.get(name, "—") for found in columns]
        differs = len(set(values)) > 1
        if differs or not only_differences:
            rows.append({"key": name, "values": values, "differs": differs})
    return rows


def _columns(version: ModelVersion) -> dict[str, str]:
    signature = version.signature or {}
    if signature.get("inputs"):
        return {str(c.get("name")): str(c.get("type")) for c in signature["inputs"]}
    tensor = signature.get("tensor")
    return {"(tensor)": f"{tensor['dtype']} {tensor['shape']}"} if tensor else {}


def metric_charts(versions: list[ModelVersion]) -> list[dict]:
    """For each metric: an SVG line chart of its value across the chosen versions."""
    names = sorted({key for version in versions for key in version.metrics})
    return [{"name": name, "svg": _line_chart(name, versions)} for name in names]


def _y(value: float, low: float, high: float) -> float:
    if high == low:  # all equal: a level line through the middle, not along the axis
        return HEIGHT / 2
    return HEIGHT - PAD - (value - low) / (high - low) * (HEIGHT - 2 * PAD)


def _line_chart(name: str, versions: list[ModelVersion]) -> str:
    points = [(v.version, v.metrics[name]) for v in versions if isinstance(v.metrics.get(name), int | float)]
    if not points:
        return ""
    low, high = min(p[1] for p in points), max(p[1] for p in points)
    step = (WIDTH - 2 * PAD) / max(len(points) - 1, 1)
    coords = [(PAD + i * step, _y(value, low, high)) for i, (_, value) in enumerate(points)]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" role="img" aria-label="{escape(name)} by version" class="metric-chart">',
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#c5cbd5"/>',
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#2457c5" stroke-width="2"/>')
    for (x, y), (version, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#2457c5"><title>v{version}: {value:g}</title></circle>'
        )
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" font-size="11">v{version}</text>')
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">{value:.4g}</text>')
    parts.append("</svg>")
    return "".join(parts)
