"""Comparing versions: side-by-side rows and small server-rendered SVG charts."""

from __future__ import annotations

import math

from django.utils.html import escape

from registry.models import ModelVersion

# The drawing's own units: the SVG scales to its container's width (viewBox, width 100%).
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 18, 44  # room for the tick labels and the axis titles
AXIS, GRID, INK, LINE = "#8a94a6", "#e5e8ee", "#5d6675", "#2457c5"


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


def _ticks(low: float, high: float, count: int = 4) -> list[float]:
    """About `count` round values (steps of 1, 2, 2.5 or 5 times a power of ten) that
    span low..high, so the axis reads 0.90, 0.95, 1.00 and not 0.9137, 0.9412..."""
    if high == low:
        return [low]
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first, last = math.floor(low / step), math.ceil(high / step)
    return [round(n * step, 12) for n in range(first, last + 1)]


def _labels(ticks: list[float]) -> list[str]:
    """The ticks with as many decimals each as the finest needs: 0.90, 0.92, not 0.9, 0.92."""
    plain = [f"{tick:g}" for tick in ticks]
    if any("e" in text for text in plain):  # very large or small: the short form as it is
        return plain
    places = max(len(text.partition(".")[2]) for text in plain)
    return [f"{tick:.{places}f}" for tick in ticks]


def _y(value: float, low: float, high: float) -> float:
    if high == low:  # all equal: a level line through the middle, not along the axis
        return TOP + (HEIGHT - TOP - BOTTOM) / 2
    return HEIGHT - BOTTOM - (value - low) / (high - low) * (HEIGHT - TOP - BOTTOM)


def _line_chart(name: str, versions: list[ModelVersion]) -> str:
    # Oldest to newest from left to right, as on any time axis.
    points = sorted((v.version, v.metrics[name]) for v in versions if _is_number(v.metrics.get(name)))
    if not points:
        return ""
    ticks = _ticks(min(p[1] for p in points), max(p[1] for p in points))
    low, high = ticks[0], ticks[-1]
    step = (WIDTH - LEFT - RIGHT) / max(len(points) - 1, 1)
    offset = 0 if len(points) > 1 else (WIDTH - LEFT - RIGHT) / 2  # one point: in the middle
    coords = [(LEFT + offset + i * step, _y(value, low, high)) for i, (_, value) in enumerate(points)]
    return "".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
            f'role="img" aria-label="{escape(name)} by version" class="metric-chart">',
            *_y_axis(name, ticks, low, high),
            *_x_axis(points, coords),
            *_series(points, coords),
            "</svg>",
        ]
    )


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _y_axis(name: str, ticks: list[float], low: float, high: float) -> list[str]:
    parts = [_line(LEFT, TOP, LEFT, HEIGHT - BOTTOM)]
    for tick, label in zip(ticks, _labels(ticks), strict=True):
        y = _y(tick, low, high)
        parts += [
            _line(LEFT, y, WIDTH - RIGHT, y, GRID),
            _line(LEFT - 4, y, LEFT, y),
            _text(LEFT - 7, y + 4, label, "tick y", anchor="end"),
        ]
    middle = TOP + (HEIGHT - TOP - BOTTOM) / 2
    parts.append(_text(14, middle, name, "axis-title y", size=12, extra=f'transform="rotate(-90 14 {middle:.1f})"'))
    return parts


def _x_axis(points: list[tuple[int, float]], coords: list[tuple[float, float]]) -> list[str]:
    base = HEIGHT - BOTTOM
    parts = [_line(LEFT, base, WIDTH - RIGHT, base)]
    for (x, _), (version, _) in zip(coords, points, strict=True):
        parts += [_line(x, base, x, base + 4), _text(x, base + 17, f"v{version}", "tick x")]
    parts.append(_text(LEFT + (WIDTH - LEFT - RIGHT) / 2, HEIGHT - 6, "version", "axis-title x", size=12))
    return parts


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str = AXIS) -> str:
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}"/>'


def _text(x: float, y: float, text: str, css: str, *, anchor: str = "middle", size: int = 11, extra: str = "") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{INK}" '
        f'class="{css}" {extra}>{escape(text)}</text>'
    )


def _series(points: list[tuple[int, float]], coords: list[tuple[float, float]]) -> list[str]:
    parts = []
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for (x, y), (version, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{LINE}"><title>v{version}: {value:g}</title></circle>'
        )
        parts.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" font-size="11">{value:.4g}</text>')
    return parts
