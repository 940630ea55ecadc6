"""The press API's coordinator answers, field by field.

The output serializers of api/press.py produce these answers (so the schema
cannot drift from them); this pins what they say, written out by hand, so a
wrong ``source`` or a dropped field fails here rather than in a client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point
from django.utils import timezone

from orgs import models as m
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

API = "/api/v1/press/coordination/requests"


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def test_the_list_and_the_detail_say_exactly_this() -> None:
    topic = f.CategoryFactory(slug="media-comment")
    target = f.TargetGroupFactory(slug="children")
    network = f.NetworkFactory(slug="pskov-net")
    town = f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326))
    org = f.OrganisationFactory(name="АНО «Опора»")
    f.MembershipFactory(organisation=org, network=network)
    anna = f.ExpertFactory(organisation=org, full_name="Анна", place=town, languages=["ru"], on_camera=True)
    anna.topics.set([topic])
    boris = f.ExpertFactory(organisation=org, full_name="Борис", languages=["en"])
    boris.topics.set([topic])
    deadline = timezone.now() + dt.timedelta(days=1)
    req = f.PressRequestFactory(
        topic="Тема", outlet="Газета", place=town, region="Псковская", network=network, deadline=deadline
    )
    req.categories.set([topic])
    req.target_groups.set([target])
    expires = timezone.now() + dt.timedelta(hours=3)
    m.ExpertInvitation.objects.create(request=req, expert=boris, token_hash="0" * 64, expires_at=expires)
    client = people.api_as(people.moderator())

    summary = {
        "id": req.pk,
        "topic": "Тема",
        "outlet": "Газета",
        "status": "received",
        "deadline": _iso(deadline),
        "format": "written",
        "language": "ru",
        "place": str(town),
        "region": "Псковская",
        "network": "pskov-net",
    }
    assert client.get(API).json() == [summary]
    detail = client.get(f"{API}/{req.pk}").json()
    assert detail == {
        **summary,
        "questions": "",
        "categories": ["media-comment"],
        "target_groups": ["children"],
        # Boris was asked already, so only Anna is proposed; no contact in either list.
        "ranking": [
            {
                "expert": anna.pk,
                "name": "Анна",
                "organisation": "АНО «Опора»",
                "topic_score": 2,
                "language_match": True,
                "distance_km": 0,
                "on_camera": True,
            }
        ],
        "invitations": [{"expert": "Борис", "status": "sent", "expires_at": _iso(expires)}],
    }
    assert list(detail) == [*summary, "questions", "categories", "target_groups", "ranking", "invitations"]


def test_a_request_without_town_or_coalition_says_null() -> None:
    req = f.PressRequestFactory(place=None, network=None)
    client = people.api_as(people.moderator())
    (row,) = client.get(API).json()
    assert (row["id"], row["place"], row["network"], row["region"]) == (req.pk, None, None, "")
    detail = client.get(f"{API}/{req.pk}").json()
    assert (detail["place"], detail["network"], detail["ranking"], detail["invitations"]) == (None, None, [], [])
