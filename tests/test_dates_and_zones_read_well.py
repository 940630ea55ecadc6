"""Dates and time zones as people read them: no «г..» at the end of a Russian
sentence, «московское время, UTC+3» rather than "Europe/Moscow"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation

from frontend.templatetags.frontend_tags import date_in_sentence, zone_label
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("russian_default")]


def test_a_russian_date_ends_a_sentence_with_one_full_stop() -> None:
    org = OrganisationFactory(last_verified_at=timezone.now())
    html = Client().get(f"/o/{org.slug}/").content.decode()
    assert "г.." not in html
    assert " г." in html  # the date is there, its own full stop kept


def test_date_in_sentence_in_every_language() -> None:
    day = dt.date(2026, 12, 2)
    with translation.override("ru"):
        assert date_in_sentence(day) == "2 декабря 2026 г"
    with translation.override("en"):
        assert not date_in_sentence(day).endswith(".")


def test_zones_have_human_names_and_offsets() -> None:
    with translation.override("en"):
        assert zone_label("Europe/Moscow") == "Moscow time, UTC+3"
        assert zone_label("Asia/Kolkata") == "UTC+5:30"  # no name kept: the offset alone
        assert zone_label("Not/AZone") == "Not/AZone"
