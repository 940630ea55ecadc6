"""Audience-aware nearest search (issue #15): a family's search
(``audience=people``) leaves out services for specialists and the media; a
specialist's (the default, ``all``) keeps them. On the real seed, from Pskov."""

from __future__ import annotations

import pytest
from django.test import Client

from orgs.seed import seed_load

pytestmark = pytest.mark.django_db

PSKOV = {"lat": "57.8136", "lon": "28.3496"}
FOR_PROFESSIONALS = {"Поддержка специалистов и организаций", "Комментарий для СМИ"}


def _services(answer: dict) -> list[str]:
    return [s["name"] for r in answer["results"] for s in r["services"]] + [
        s["name"] for group in answer["remote"] for s in group.get("services", [group])
    ]


def test_a_familys_search_leaves_out_services_for_specialists_and_the_media(client: Client) -> None:
    seed_load()
    everyone = client.get("/api/v1/nearest", {**PSKOV, "k": "5"}).json()
    people = client.get("/api/v1/nearest", {**PSKOV, "k": "5", "audience": "people"}).json()

    assert set(_services(everyone)) >= FOR_PROFESSIONALS
    assert not FOR_PROFESSIONALS & set(_services(people))
    # Her first result is still Pskov's centre, with the help for her child.
    first = people["results"][0]
    assert "Псков" in first["organisation"]["name"]
    assert any("адвокат" in s["name"] for s in first["services"])


def test_asking_for_professional_help_keeps_it(client: Client) -> None:
    seed_load()
    answer = client.get(
        "/api/v1/nearest", {**PSKOV, "k": "3", "audience": "people", "category": "methodological-help"}
    ).json()
    assert "Поддержка специалистов и организаций" in _services(answer)


def test_a_bad_audience_is_400_naming_it(client: Client) -> None:
    response = client.get("/api/v1/nearest", {**PSKOV, "audience": "journalists"})
    assert response.status_code == 400 and "audience" in response.json()
