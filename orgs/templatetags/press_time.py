"""``{{ moment|in_zone:person_zone }}``: a time on the reader's clock, the zone named."""

from __future__ import annotations

import datetime as dt

from django import template

from orgs.press.rules import language_name as _language_name
from orgs.press.times import in_zone as _in_zone

register = template.Library()


@register.filter
def in_zone(value: dt.datetime | None, zone_name: str | None) -> str:
    return _in_zone(value, zone_name)


@register.filter
def language_name(code: str) -> str:
    """«Ukrainian» for uk, in the page's language."""
    return str(_language_name(code))
