from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from registry.models import Stage

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered, then sanitized: no script, no event handler, no javascript: URL."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return mark_safe(nh3.clean(html, url_schemes={"http", "https", "mailto"}))  # noqa: S308 (sanitized)


@register.filter
def stage_badge(stage: str) -> str:
    return format_html('<span class="badge {}">{}</span>', stage, stage)


@register.simple_tag
def alias_chip(name: str, stage: str, version: int | None = None) -> str:
    """An alias as a chip ("@champion", or "@champion → v3" with `version`), flagged when
    the version it points at is Archived: clients asking for the alias still get that one."""
    text = f"@{name} → v{version}" if version else f"@{name}"
    if stage != Stage.ARCHIVED:
        return format_html('<span class="chip">{}</span>', text)
    return format_html(
        '<span class="chip stale" title="{}">{} <strong>⚠ Archived</strong></span>',
        "This alias points at an Archived version, which clients using the alias still get.",
        text,
    )


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def short_class(dotted: str) -> str:
    return (dotted or "").rsplit(".", 1)[-1]
