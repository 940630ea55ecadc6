"""Template helpers of the public pages. Every value they return is plain text
for Django's autoescaping; none is marked safe."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import template
from django.conf import settings
from django.utils.formats import date_format
from django.utils.translation import get_language, gettext_lazy

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


# Time zones people know by a name; elsewhere the offset alone says it.
_ZONE_NAMES = {
    "Europe/Kaliningrad": gettext_lazy("Kaliningrad time"),
    "Europe/Moscow": gettext_lazy("Moscow time"),
    "Europe/Samara": gettext_lazy("Samara time"),
    "Asia/Yekaterinburg": gettext_lazy("Yekaterinburg time"),
    "Asia/Omsk": gettext_lazy("Omsk time"),
    "Asia/Novosibirsk": gettext_lazy("Novosibirsk time"),
    "Asia/Krasnoyarsk": gettext_lazy("Krasnoyarsk time"),
    "Asia/Irkutsk": gettext_lazy("Irkutsk time"),
    "Asia/Yakutsk": gettext_lazy("Yakutsk time"),
    "Asia/Vladivostok": gettext_lazy("Vladivostok time"),
    "Asia/Magadan": gettext_lazy("Magadan time"),
    "Asia/Kamchatka": gettext_lazy("Kamchatka time"),
    "Europe/Kyiv": gettext_lazy("Kyiv time"),
    "Europe/Kiev": gettext_lazy("Kyiv time"),
    "Europe/Minsk": gettext_lazy("Minsk time"),
}


@register.filter
def zone_label(name: str) -> str:
    """A time zone as people say it: «московское время, UTC+3», not
    "Europe/Moscow" (the offset is today's)."""
    try:
        offset = datetime.now(ZoneInfo(name)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return name
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    human = _ZONE_NAMES.get(name)
    return f"{human}, {utc}" if human else utc


@register.filter
def date_in_sentence(value: Any) -> str:
    """A date in the page's DATE_FORMAT for the middle or end of a sentence
    whose full stop the template writes: Russian's «2 декабря 2026 г.» ends in
    one already, and «г..» is a typo."""
    return date_format(value, "DATE_FORMAT").rstrip(".") if value else ""


@register.filter
def content_lang(obj: Any, field: str) -> str:
    """The language of the text ``localized`` shows for ``obj.<field>``, for a
    ``lang`` attribute (WCAG 3.1.2: a screen reader reads Russian content in a
    Russian voice on an English page): the interface's when a translation in
    it exists, else Russian, the language listings are written in."""
    lang = current_language()
    if lang != "ru" and getattr(obj, f"{field}_{lang}", None):
        return lang
    return "ru"
