from __future__ import annotations

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def markdown(text: str) -> str:
    """Markdown rendered, then sanitized: no script, no event handler, no javascript: URL."""
    html = markdown_lib.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return mark_safe(nh3.clean(html, url_schemes={"http", "https", "mailto"}))  # noqa: S308 (sanitized)


@register.filter
def stage_badge(stage: str) -> str:
    return format_html('<span class="badge {}">{}</span>', stage, stage)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def short_class(dotted: str) -> str:
    return (dotted or "").rsplit(".", 1)[-1]
