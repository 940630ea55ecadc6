"""Each partner and moderation answer is produced by the ``*Output`` serializer
its OpenAPI schema is drawn from, so the two cannot drift apart.

They did once: the views built their answers as dicts while the serializers fed
only the schema. Here the serializer is watched while the request runs: the
answer must be exactly what it produced (a dict built beside it fails, even with
the right keys), and its keys, in order, are the serializer's fields."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from api import moderation
from api.partner import editors, history, identifiers, locations, organisations
from api.partner.common import ChangeOutput
from orgs import models as m
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

V1 = "/api/v1"
HERE = Point(30.3141, 59.9386, srid=4326)


@contextmanager
def _watched(output: type[serializers.Serializer]) -> Iterator[list[Any]]:
    """What ``output`` produces while the block runs, each in JSON as sent."""
    produced: list[Any] = []
    original = output.to_representation

    def record(self: serializers.Serializer, instance: Any) -> Any:
        data = original(self, instance)
        produced.append(json.loads(JSONRenderer().render(data)))
        return data

    with mock.patch.object(output, "to_representation", record):
        yield produced


def _fields(output: type[serializers.Serializer]) -> list[str]:
    return list(output().fields)


@pytest.fixture
def owner_client(owner: User) -> APIClient:
    org = people.owned(owner)
    org.description = "Другое описание."
    org.save()  # a second version in the history, with a changed field
    m.OrganisationIdentifier.objects.create(organisation=org, scheme="UA-EDR", identifier="12345678", country="UA")
    return people.api_as(owner)


Call = Callable[[APIClient], Any]

# (what, the output watched, whether the answer is a list, the request, its status)
CASES: list[tuple[str, type[serializers.Serializer], bool, Call, int]] = [
    (
        "register",
        organisations.SlugStatusOutput,
        False,
        lambda c: c.post(
            f"{V1}/partner/organisations",
            {"name": "Новый фонд", "legal_form": "ano", "locations": [{"lat": 57.8, "lon": 28.3, "city": "Псков"}]},
            format="json",
        ),
        201,
    ),
    (
        "edit waits for approval",
        ChangeOutput,
        False,
        lambda c: c.patch(f"{V1}/partner/organisations/org", {"name": "ОФ «Новый дом»"}, format="json"),
        200,
    ),
    (
        "place waits for approval",
        locations.LocationAddedOutput,
        False,
        lambda c: c.post(
            f"{V1}/partner/organisations/org/locations", {"lat": 57.8, "lon": 28.3, "city": "Псков"}, format="json"
        ),
        202,
    ),
    (
        "identifiers",
        identifiers.IdentifiersOutput,
        False,
        lambda c: c.get(f"{V1}/partner/organisations/org/identifiers"),
        200,
    ),
    ("editors", editors.EditorsOutput, False, lambda c: c.get(f"{V1}/partner/organisations/org/editors"), 200),
    ("history", history.VersionOutput, True, lambda c: c.get(f"{V1}/partner/organisations/org/history"), 200),
    ("confirm", organisations.VerifiedOutput, False, lambda c: c.post(f"{V1}/partner/organisations/org/confirm"), 200),
]


@pytest.mark.parametrize(("output", "many", "call", "code"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_partner_answer_is_its_output_serializers(owner_client, output, many, call, code) -> None:
    with _watched(output) as produced:
        response = call(owner_client)
    assert response.status_code == code, response.content
    answer = response.json()
    if many:
        assert len(answer) > 1 and answer == produced
        answers = answer
    else:
        assert produced and answer == produced[-1]
        answers = [answer]
    for item in answers:
        assert list(item) == _fields(output)


def test_the_duplicate_conflict_is_its_output_serializers() -> None:
    existing = f.OrganisationFactory(located=False, name="Кризисный центр «Тихая гавань»")
    f.LocationFactory(organisation=existing, point=HERE)
    registration = {
        "name": "Кризисный центр Тихая гавань",
        "legal_form": "ano",
        "locations": [{"lat": HERE.y, "lon": HERE.x, "city": "Санкт-Петербург"}],
    }
    with _watched(organisations.DuplicateConflictOutput) as produced:
        response = people.api_as(people.user("partner")).post(
            f"{V1}/partner/organisations", registration, format="json"
        )
    assert response.status_code == 409, response.content
    answer = response.json()
    assert answer == produced[-1] and list(answer) == _fields(organisations.DuplicateConflictOutput)
    assert [list(d) for d in answer["duplicates"]] == [_fields(organisations.DuplicateOutput)]
    assert answer["duplicates"][0] == {"slug": existing.slug, "name": existing.name, "reason": "similar_name"}


def test_the_moderation_queue_is_its_output_serializers(owner: User) -> None:
    org = f.OrganisationFactory(status=m.PublicationStatus.PENDING, slug="new")
    m.ChangeRequest.objects.create(
        organisation=f.OrganisationFactory(), changes={"name": {"old": "a", "new": "b"}}, requested_by=owner
    )
    with _watched(moderation.ModerationQueueOutput) as produced:
        response = people.api_as(people.moderator()).get(f"{V1}/moderation/queue")
    assert response.status_code == 200, response.content
    queue = response.json()
    assert queue == produced[-1] and list(queue) == _fields(moderation.ModerationQueueOutput)
    assert [o["slug"] for o in queue["organisations"]] == [org.slug]
    assert list(queue["organisations"][0]) == _fields(moderation.QueueOrganisationOutput)
    assert list(queue["change_requests"][0]) == _fields(moderation.QueueChangeRequestOutput)
