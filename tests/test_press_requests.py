"""The journalist's request: bad input named, rate limits per e-mail and per
address, the honeypot, and the public form page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from orgs import models as m
from orgs import press
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/api/v1/press/requests"


@pytest.fixture(autouse=True)
def taxonomy() -> None:
    f.CategoryFactory(slug="media-comment")
    f.TargetGroupFactory(slug="children-survivors")
    f.PlaceFactory(name="Pskov", name_ru="Псков")


def payload(**overrides: Any) -> dict[str, Any]:
    data = {
        "journalist_name": "Мария",
        "outlet": "Лента",
        "email": "maria@media.example",
        "topic": "Насилие над детьми",
        "categories": ["media-comment"],
        "deadline": (timezone.now() + dt.timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return data


def client_from(ip: str) -> APIClient:
    return APIClient(REMOTE_ADDR=ip)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"deadline": (timezone.now() - dt.timedelta(hours=1)).isoformat()}, "deadline"),
        ({"deadline": (timezone.now() + dt.timedelta(days=400)).isoformat()}, "deadline"),
        ({"deadline": "tomorrow"}, "deadline"),
        ({"categories": ["no-such-topic"]}, "categories"),
        ({"target_groups": ["nobody"]}, "target_groups"),
        ({"place": "Нетакогограда"}, "place"),
        ({"email": "not-an-address"}, "email"),
        ({"email": ""}, "email"),
        ({"language": "Russian"}, "language"),
        ({"format": "podcast"}, "format"),
        ({"network": "no-such-coalition"}, "network"),
        ({"topic": ""}, "topic"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(overrides, field) -> None:
    response = client_from("10.0.0.1").post(URL, payload(**overrides), format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not m.PressRequest.objects.exists()
    assert not mail.outbox


def test_a_town_is_resolved_through_the_gazetteer(api) -> None:
    assert api.post(URL, payload(place="pskov"), format="json").status_code == 201
    assert m.PressRequest.objects.get().place.name == "Pskov"


def test_the_honeypot_refuses_and_writes_nothing(api) -> None:
    response = api.post(URL, payload(website="http://spam.example"), format="json")
    assert response.status_code == 400
    assert response.json() == {"website": [str(press.HONEYPOT_FILLED)]}
    assert not m.PressRequest.objects.exists()
    assert not mail.outbox


def test_rate_limit_per_email_address() -> None:
    for i in range(press.REQUESTS_PER_EMAIL_PER_HOUR):
        # Different requests (the same one again is a duplicate, not counted: test_press_duplicates.py).
        assert client_from(f"10.0.1.{i}").post(URL, payload(topic=f"Тема {i}"), format="json").status_code == 201
    refused = client_from("10.0.2.1").post(URL, payload(email="MARIA@media.example", topic="Ещё"), format="json")
    assert refused.status_code == 429
    assert refused.json() == {"detail": str(press.RATE_LIMITED)}
    assert m.PressRequest.objects.count() == press.REQUESTS_PER_EMAIL_PER_HOUR
    assert len(mail.outbox) == press.REQUESTS_PER_EMAIL_PER_HOUR
    # Another journalist is not affected.
    assert client_from("10.0.2.2").post(URL, payload(email="ivan@media.example"), format="json").status_code == 201


def test_rate_limit_per_client_address_keeps_no_address() -> None:
    client = client_from("203.0.113.77")
    for i in range(press.REQUESTS_PER_IP_PER_HOUR):
        assert client.post(URL, payload(email=f"j{i}@media.example"), format="json").status_code == 201
    refused = client.post(URL, payload(email="new@media.example"), format="json")
    assert refused.status_code == 429
    assert client_from("203.0.113.78").post(URL, payload(email="new@media.example"), format="json").status_code == 201
    # The limit's counters are keyed hashes: the address is nowhere in the cache keys.
    keys = [str(k) for k in cache._cache if "press-rate" in str(k)]  # type: ignore[attr-defined]
    assert len(keys) >= 2
    assert not [k for k in keys if "203.0.113" in k or "@" in k]


def test_the_window_passes() -> None:
    for i in range(press.REQUESTS_PER_EMAIL_PER_HOUR):
        client_from(f"10.0.3.{i}").post(URL, payload(topic=f"Тема {i}"), format="json")
    assert client_from("10.0.3.9").post(URL, payload(topic="Ещё"), format="json").status_code == 429
    cache.clear()  # what an hour does to the fixed window
    assert client_from("10.0.3.9").post(URL, payload(topic="Ещё"), format="json").status_code == 201


# --- the form page -------------------------------------------------------------------------


def form_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "journalist_name": "Мария",
        "outlet": "Лента",
        "email": "maria@media.example",
        "topic": "Насилие над детьми",
        "categories": ["media-comment"],
        "target_groups": ["children-survivors"],
        "place": "Псков",
        "language": "ru",
        "format": "written",
        "deadline": (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "deadline_zone": "Asia/Vladivostok",
        "questions": "<script>alert(1)</script>",
        "website": "",
    }
    data.update(overrides)
    return data


def test_the_form_page_submits_and_asks_to_check_mail(client) -> None:
    page = client.get("/press/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="website"' in html and 'name="deadline"' in html
    data = form_data()
    response = client.post("/press/", data)
    assert response.status_code == 302 and response["Location"] == "/press/sent/"
    req = m.PressRequest.objects.get()
    assert req.place is not None and req.categories.get().slug == "media-comment"
    assert req.questions == "<script>alert(1)</script>"  # stored as typed; escaped on every page
    # The deadline was typed on the journalist's own clock (Vladivostok, UTC+10).
    vladivostok = dt.timezone(dt.timedelta(hours=10))
    typed = dt.datetime.strptime(data["deadline"], "%Y-%m-%dT%H:%M").replace(tzinfo=vladivostok)
    assert req.deadline == typed
    assert len(mail.outbox) == 1 and "/press/confirm/?t=" in mail.outbox[0].body
    assert "Referrer-Policy" in response.headers


def test_the_form_page_shows_errors_and_refusals(client) -> None:
    bad = client.post("/press/", form_data(email="nope", deadline=""))
    assert bad.status_code == 400
    assert bad.context["form"].errors.keys() >= {"email", "deadline"}
    trapped = client.post("/press/", form_data(website="spam"))
    assert trapped.status_code == 400 and str(press.HONEYPOT_FILLED) in trapped.content.decode()
    for i in range(press.REQUESTS_PER_EMAIL_PER_HOUR):
        assert client.post("/press/", form_data(topic=f"Тема {i}")).status_code == 302
    limited = client.post("/press/", form_data(topic="Ещё"))
    assert limited.status_code == 429
    assert str(press.RATE_LIMITED) in limited.content.decode()
    assert m.PressRequest.objects.count() == press.REQUESTS_PER_EMAIL_PER_HOUR
