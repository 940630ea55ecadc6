"""What every model module shares: the code validators, the coordinate and
time-zone checks, and the created/updated timestamps."""

from __future__ import annotations

import secrets
import zoneinfo
from typing import Any

from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

COUNTRY_CODE = RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO country code, e.g. RU."))
LANGUAGE_CODE = RegexValidator(r"^[a-z]{2,3}$", _("Use an ISO 639 language code, e.g. ru."))


def validate_point_in_range(value: Any) -> None:
    """PostGIS silently coerces an out-of-range geography coordinate (latitude 95
    is stored as 85), so no CHECK constraint can catch it after the fact: it must
    be refused before it is written."""
    if value is None:
        return
    if not (-90 <= value.y <= 90) or not (-180 <= value.x <= 180):
        raise ValidationError(
            _("Latitude must be between -90 and 90 and longitude between -180 and 180 (got %(lat)s, %(lon)s)."),
            params={"lat": value.y, "lon": value.x},
            code="point_out_of_range",
        )


def new_blur_seed() -> int:
    return secrets.randbits(62)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone; use an IANA name such as Europe/Moscow."),
            params={"value": value},
        )


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
