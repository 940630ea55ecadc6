"""Template helpers of the public pages. Every value they return is plain text
for Django's autoescaping; none is marked safe."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language

from frontend import labels, selectors
from orgs.search import hotlines

register = template.Library()


def current_language() -> str:
    return (get_language() or settings.LANGUAGE_CODE).split("-")[0]


@register.filter
def localized(obj: Any, field: str) -> str:
    """``obj.<field>`` in the page's language: ``name_en`` for English, then
    the Russian original (``name_ru`` or ``name``), then English."""
    lang = current_language()
    candidates = [f"{field}_{lang}"] if lang != "ru" else []
    candidates += [f"{field}_ru", field, f"{field}_en"]
    for name in candidates:
        value = getattr(obj, name, None)
        if value:
            return str(value)
    return ""


@register.filter
def format_labels(formats: Iterable[str]) -> str:
    return ", ".join(str(labels.FORMATS.get(f, f)) for f in formats)


@register.filter
def role_label(role: str) -> str:
    return str(labels.ROLES.get(role, role))


@register.filter
def area_label(kind: str) -> str:
    return str(labels.AREAS.get(kind, kind))


@register.filter
def legal_form_label(form: str) -> str:
    return str(labels.LEGAL_FORMS.get(form, form))


@register.filter
def weekday_label(day: int) -> str:
    return str(labels.WEEKDAYS[day]) if 0 <= day < len(labels.WEEKDAYS) else ""


_NOT_DIAL = re.compile(r"[^0-9+]")


@register.filter
def tel_href(phone: str) -> str:
    """A ``tel:`` URL for a phone number as people write it (spaces, dashes, brackets)."""
    return "tel:" + _NOT_DIAL.sub("", phone or "")


@register.simple_tag
def quick_exit_url() -> str:
    return str(settings.QUICK_EXIT_URL)


@register.inclusion_tag("frontend/_crisis_strip.html")
def crisis_strip() -> dict[str, Any]:
    lines = hotlines.hotlines_for(country=hotlines.default_country())
    return {
        "lines": selectors.crisis_lines(),
        "hotlines": [line.as_dict() for line in lines],
        "emergency": selectors.EMERGENCY_NUMBER,
    }


@register.filter
def http_url(url: str) -> str:
    """The URL if it is a web address; empty otherwise (never a javascript: or data: link)."""
    url = (url or "").strip()
    return url if url.lower().startswith(("https://", "http://")) else ""
