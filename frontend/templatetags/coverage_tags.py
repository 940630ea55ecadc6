"""Template filters of the coverage page."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def share_of(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole``, one decimal, in the page's locale."""
    if not whole:
        return "—"
    return number_format(100 * part / whole, 1) + " %"


@register.filter
def band(bands: dict[str, int], key: str) -> Any:
    return bands.get(key, 0)


@register.filter
def people(value: int | None) -> str:
    return number_format(value or 0, 0, force_grouping=True)
