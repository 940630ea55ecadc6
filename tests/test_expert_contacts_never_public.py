"""Experts' contacts appear in no public page, API response, export or error
message.

The scan is generic: it walks every URL pattern the project has (so an
endpoint added later is scanned without touching this file), fills its
parameters with real slugs, ids and uuids, tries each with the query strings
the public endpoints take (and the private links' tokens), and requests it
anonymously. Only the admin is left out: it is staff-only and shows contacts
on purpose. Authenticated routes answer an anonymous visitor with a redirect
or a refusal, and are scanned as such.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone

from orgs import models as m
from orgs import press
from tests import factories as f

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "zz-expert-secret-7731@hidden-contacts.example"
SECRET_PHONE = "+7 (000) 731-77-31"
PAUSED_EMAIL = "yy-paused-secret-4409@hidden-contacts.example"
PAUSED_PHONE = "+7 (000) 440-94-09"
# How the strings could leak in another shape: the local part alone, the
# phone's digits (a tel: link), the phone without its punctuation.
NEEDLES = [
    SECRET_EMAIL,
    "zz-expert-secret-7731",
    SECRET_PHONE,
    "70007317731",
    "000 731-77-31",
    PAUSED_EMAIL,
    "yy-paused-secret-4409",
    PAUSED_PHONE,
    "70004409409",
]
SKIPPED_PREFIXES = ("admin/",)


def _route(pattern: Any) -> str | None:
    """A pattern as a route with ``<type:name>`` parameters; None when it is a
    regular expression that cannot be filled in simply."""
    text = str(pattern)
    if type(pattern).__name__ == "RoutePattern":
        return text
    text = text.lstrip("^").rstrip("$").replace(r"\Z", "")
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", text)
    return None if re.search(r"[()\[\]*+?\\|]", text) else text


def routes(patterns: list[Any] | None = None, prefix: str = "") -> Iterator[str]:
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = _route(pattern.pattern)
        if route is None:
            continue
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + route)
        else:
            yield prefix + route


@pytest.fixture
def world() -> dict[str, Any]:
    topic = f.CategoryFactory(slug="media-comment")
    target = f.TargetGroupFactory(slug="children-survivors")
    network = f.NetworkFactory(slug="stop-sed", auto_match_experts=True)
    pskov = f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326))
    org = f.OrganisationFactory(
        name="АНО «Тебе поверят»", slug="tebe-poveryat", email="office@tebe-poveryat.example", located=False
    )
    location = f.LocationFactory(organisation=org, place=pskov, phone="+7 8112 00-00-00")
    service = f.ServiceFactory(
        organisation=org,
        categories=[topic],
        target_groups=[target],
        locations=[location],
        formats=[m.ServiceFormat.IN_PERSON, m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
    )
    f.MembershipFactory(organisation=org, network=network)
    m.ActivePeopleCentre.objects.create(
        host=org, name="ЦАЛ Завеличье", slug="cal-zavelichye", centre=Point(28.33, 57.82, srid=4326), radius_m=2000
    )
    expert = f.ExpertFactory(
        organisation=org,
        full_name="Эксперт Публичный",
        email=SECRET_EMAIL,
        phone=SECRET_PHONE,
        share_email=True,
        share_phone=True,
        languages=["ru"],
        place=pskov,
        on_camera=True,
    )
    expert.topics.set([topic])
    paused = f.ExpertFactory(
        organisation=org, email=PAUSED_EMAIL, phone=PAUSED_PHONE, paused=True, languages=["ru"], place=pskov
    )
    paused.topics.set([topic])

    # A request that went all the way: confirmed, sent automatically, accepted, disclosed.
    created = press.press_request_create(
        data={
            "journalist_name": "Мария",
            "outlet": "Лента",
            "email": "maria@media.example",
            "topic": "Комментарий о насилии",
            "categories": ["media-comment"],
            "place": "Псков",
            "deadline": timezone.now() + dt.timedelta(days=1),
        },
        client_ip=None,
        base_url="http://testserver",
    )
    req, tracking = press.press_request_confirm(token=created.confirm_token, base_url="http://testserver")
    invitation = m.ExpertInvitation.objects.get(request=req)
    # The answer token is only in the e-mail; replace it by one this test knows.
    answer_token, answer_hash = "scan-answer-token", press.token_hash("scan-answer-token")
    m.ExpertInvitation.objects.filter(pk=invitation.pk).update(token_hash=answer_hash)
    press.invitation_answer(token=answer_token, accept=True, base_url="http://testserver")
    assert m.Disclosure.objects.filter(expert=expert).exists()

    # A second request, still waiting for the expert's answer (its answer page is live).
    second = press.press_request_create(
        data={
            "journalist_name": "Иван",
            "outlet": "Газета",
            "email": "ivan@media.example",
            "topic": "Ещё один комментарий",
            "categories": ["media-comment"],
            "deadline": timezone.now() + dt.timedelta(days=1),
        },
        client_ip=None,
        base_url="http://testserver",
    )
    req2, tracking2 = press.press_request_confirm(token=second.confirm_token, base_url="http://testserver")
    live_token = "scan-live-answer-token"
    m.ExpertInvitation.objects.filter(request=req2).update(token_hash=press.token_hash(live_token))
    unconfirmed = press.press_request_create(
        data={
            "journalist_name": "Олег",
            "outlet": "Радио",
            "email": "oleg@media.example",
            "topic": "Неподтверждённый",
            "deadline": timezone.now() + dt.timedelta(days=1),
        },
        client_ip=None,
        base_url="http://testserver",
    )
    return {
        "values": {
            "slug": [org.slug, network.slug, "cal-zavelichye", topic.slug, target.slug],
            "int": sorted({expert.pk, paused.pk, org.pk, location.pk, service.pk, req.pk, req2.pk, invitation.pk}),
            "uuid": [str(org.uuid), str(location.uuid), str(service.uuid)],
            # <str:…> takes slugs, ids and the HSDS endpoints' uuids.
            "str": [org.slug, str(expert.pk), str(org.uuid), str(service.uuid), str(location.uuid)],
            "path": [org.slug],
        },
        "tokens": [tracking, tracking2, created.confirm_token, unconfirmed.confirm_token, answer_token, live_token],
        "live_token": live_token,
    }


def urls_to_scan(values: dict[str, list[Any]]) -> list[tuple[str, bool]]:
    """Every URL to request, and whether its route has no parameters (those
    are also tried with every private link's token)."""
    urls: list[tuple[str, bool]] = []
    for route in routes():
        if route.startswith(SKIPPED_PREFIXES):
            continue
        params = re.findall(r"<(?:(\w+):)?(\w+)>", route)
        choices = [values.get(kind or "str", values["str"]) for kind, _name in params]
        for combo in itertools.islice(itertools.product(*choices), 60):
            url = route
            for value in combo:
                url = re.sub(r"<(?:\w+:)?\w+>", str(value), url, count=1)
            urls.append(("/" + url, not params))
    return urls


def query_strings(tokens: list[str], *, with_tokens: bool) -> list[dict[str, str]]:
    # Nothing a visitor types is sought here: echoing one's own input is not a leak.
    base = [
        {},
        {"lat": "57.82", "lon": "28.33"},
        {"lat": "57.82", "lon": "28.33", "category": "media-comment"},
        {"place": "Псков"},
        {"in_bbox": "27,57,30,59", "zoom": "9"},
        {"in_bbox": "20,40,180,80", "zoom": "3"},
        {"q": "Тебе поверят"},
        {"q": "Эксперт"},
        {"network": "stop-sed"},
        {"format": "json"},
        {"page": "2"},
    ]
    if not with_tokens:
        # A route with parameters is a detail page: filters and places change
        # nothing on it, and trying each of them on every value of every
        # parameter was two thirds of this scan's time.
        return [{}, {"format": "json"}, {"page": "2"}, {"network": "stop-sed"}]
    return base + [{"t": t} for t in tokens] + [{"token": t} for t in tokens]


def test_no_public_output_carries_an_experts_contact(world) -> None:
    client = Client()
    statuses: dict[int, int] = {}
    scanned: list[str] = []
    answered: set[tuple[str, str]] = set()
    leaks: list[str] = []
    for url, plain in urls_to_scan(world["values"]):
        for query in query_strings(world["tokens"], with_tokens=plain):
            cache.clear()  # the anonymous throttle and rate limits must not turn the scan into 429s
            response = client.get(url, query)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace") + " ".join(f"{k}: {v}" for k, v in response.items())
            for needle in NEEDLES:
                if needle in text:
                    leaks.append(f"{url}?{query} -> {response.status_code} contains {needle!r}")
            if response.status_code == 200:
                scanned.append(url)
                answered.update((url, value) for value in query.values())
            elif response.status_code >= 500:
                leaks.append(f"{url}?{query} -> {response.status_code}: an error page hides what a fixed one shows")
    assert not leaks, "\n".join(leaks)
    # The scan reached the pages that matter (a regression in the walker would pass vacuously).
    reached = set(scanned)
    for must in (
        "/",
        "/o/tebe-poveryat/",
        "/networks/",
        "/networks/stop-sed/",
        "/centres/",
        "/centres/cal-zavelichye/",
        "/embed/",
        "/press/",
        "/press/track/",
        "/press/answer/",
        "/press/confirm/",
        "/api/schema/",
        "/api/v1/nearest",
        "/api/v1/organisations",
        "/api/v1/organisations/tebe-poveryat",
        "/api/v1/press/requests/status",
    ):
        assert must in reached, f"{must} was never answered with 200 ({statuses})"
    assert len(scanned) > 100
    hsds = [url for url in reached if url.startswith("/api/hsds/")]
    if any(r.startswith("api/hsds/") for r in routes()):
        assert f"/api/hsds/organizations/{world['values']['uuid'][0]}" in hsds, sorted(hsds)
    # The private links were opened in the states that show the most.
    found_tracking, waiting_answer = world["tokens"][0], world["live_token"]
    assert ("/press/track/", found_tracking) in answered
    assert ("/api/v1/press/requests/status", found_tracking) in answered
    assert ("/press/answer/", waiting_answer) in answered


def test_error_messages_carry_no_contact(world) -> None:
    """Refusals that concern the expert name the field, never the contact."""
    client = Client()
    responses = [
        client.post(
            "/api/v1/press/invitations/answer",
            {"token": world["live_token"], "answer": "accept", "contacts": ["email", "phone", "fax"]},
            content_type="application/json",
        ),
        client.post(
            "/press/answer/",
            {"t": world["live_token"], "answer": "accept", "contacts": ["fax"]},
        ),
        client.post(
            "/api/v1/press/requests",
            {"email": SECRET_EMAIL, "topic": "x", "deadline": "never"},
            content_type="application/json",
        ),
    ]
    for response in responses:
        assert response.status_code == 400, response.content
        text = response.content.decode()
        assert not [n for n in NEEDLES if n in text and n not in (SECRET_EMAIL, "zz-expert-secret-7731")]
    # The one echo allowed: a journalist's own typed address is not echoed either.
    assert SECRET_EMAIL not in responses[2].content.decode()
