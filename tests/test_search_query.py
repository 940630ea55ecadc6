"""The one search box (orgs/search/query.py, GET /api/v1/interpret): need
words and a town from one text, against the real gazetteer and the real seed
(issue #15: «углеч» must ask "Углич?", «zzzz» must choose no town, «юрист»
is a need and not Юрино)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from orgs.search import hotlines
from orgs.search.query import SYNONYMS_PATH, cyrillic_from_latin, interpret
from orgs.seed import DEFAULT_SEED_PATH, seed_load

PSKOV = 504341
UGLICH = 479532
SMOLENSK = 491687
YEKATERINBURG = 1486209
YAROSLAVL = 468902


@pytest.fixture
def loaded(gazetteer: int, db: None) -> None:
    seed_load()


NEED_AND_TOWN = [
    ("психолог Псков", PSKOV, ["psychological-help"], [], False),
    ("юрист Углич", UGLICH, ["rights-and-legal"], [], False),
    ("psiholog pskov", PSKOV, ["psychological-help"], [], False),
    ("Псков психологи", PSKOV, ["psychological-help"], [], False),  # another word form
    (
        "бесплатный юрист для ребёнка Углич",
        UGLICH,
        ["rights-and-legal"],
        ["children-sexual-violence-survivors-and-parents"],
        True,
    ),
    (
        "помощь подростку после насилия Смоленск",
        SMOLENSK,
        [],
        ["children-sexual-violence-survivors-and-parents", "adults-abused-in-childhood"],
        False,
    ),
    ("наркотики Екатеринбург", YEKATERINBURG, [], ["people-who-use-drugs"], False),
    ("снижение вреда Екатеринбург", YEKATERINBURG, [], ["people-who-use-drugs"], False),
]


@pytest.mark.usefixtures("loaded")
def test_need_and_town_in_one_text() -> None:
    # One test over the cases: the seed and gazetteer set-up per case was most of this module's time.
    for q, place, categories, targets, free in NEED_AND_TOWN:
        found = interpret(q=q)
        assert found.place is not None and found.place.geonameid == place, (q, found.place)
        assert (found.categories, found.target_groups, found.free) == (categories, targets, free), q
        assert found.did_you_mean == [] and found.unknown_words == [], q


@pytest.mark.usefixtures("loaded")
def test_a_typo_asks_and_chooses_no_town() -> None:
    found = interpret(q="углеч")
    assert found.place is None
    assert found.did_you_mean[0].geonameid == UGLICH
    assert len(found.did_you_mean) <= 5
    # Same country as the interface first.
    countries = [p.country_code for p in found.did_you_mean]
    assert countries[0] == "RU"


@pytest.mark.usefixtures("loaded")
def test_nonsense_chooses_no_town_and_suggests_nothing() -> None:
    found = interpret(q="zzzz")
    assert (found.place, found.did_you_mean, found.unknown_words) == (None, [], ["zzzz"])


@pytest.mark.parametrize(("q", "category"), [("юрист", "rights-and-legal"), ("психолог", "psychological-help")])
@pytest.mark.usefixtures("loaded")
def test_a_need_alone_is_not_a_town(q: str, category: str) -> None:
    found = interpret(q=q)
    assert found.place is None and found.did_you_mean == [] and found.unknown_words == []
    assert found.categories == [category]


@pytest.mark.usefixtures("loaded")
def test_a_region_searches_from_its_main_town() -> None:
    found = interpret(q="Ярославская область")
    assert found.place is not None and found.place.geonameid == YAROSLAVL
    assert found.region_name == "Ярославская область"


def test_latin_typed_russian() -> None:
    assert cyrillic_from_latin("psiholog") == "психолог"
    assert cyrillic_from_latin("yurist") == "юрист"
    assert cyrillic_from_latin("narkotiki") == "наркотики"


def test_every_synonym_slug_is_in_the_seed() -> None:
    seed = json.loads(DEFAULT_SEED_PATH.read_text(encoding="utf-8"))
    categories = {c["slug"] for c in seed["categories"]}
    targets = {t["slug"] for t in seed["target_groups"]}
    entries = json.loads(SYNONYMS_PATH.read_text(encoding="utf-8"))["entries"]
    assert entries
    for entry in entries:
        assert set(entry.get("categories", ())) <= categories, entry
        assert set(entry.get("target_groups", ())) <= targets, entry


# --- hotlines -----------------------------------------------------------------------


def test_hotlines_fit_the_country_and_the_need() -> None:
    child = [
        line.number
        for line in hotlines.hotlines_for(
            country="RU", target_groups=["children-sexual-violence-survivors-and-parents"]
        )
    ]
    assert child == ["8-800-2000-122", "112"]
    drugs = [line.number for line in hotlines.hotlines_for(country="RU", target_groups=["people-who-use-drugs"])]
    assert drugs == ["112"]
    # Before any search: the lines for everyone.
    assert [line.number for line in hotlines.hotlines_for(country="RU")] == ["112", "8-800-2000-122"]
    # No other country's numbers for a country without lines.
    assert hotlines.hotlines_for(country="KZ") == []
    assert all(line.source and line.last_checked for line in hotlines.all_hotlines())


def test_a_deployment_points_at_its_own_hotlines(tmp_path, settings) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lines.json"
    path.write_text(
        json.dumps(
            {
                "lines": [
                    {
                        "key": "kz-112",
                        "number": "112",
                        "name_ru": "Экстренные службы",
                        "countries": ["KZ"],
                        "needs": "any",
                        "source": "test",
                        "last_checked": "2026-01-01",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    settings.HOTLINES_FIXTURE = str(path)
    assert [line.key for line in hotlines.hotlines_for(country="KZ")] == ["kz-112"]
    assert hotlines.hotlines_for(country="RU") == []


# --- the API ------------------------------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_interpret_api_answers_what_was_understood(client: Client) -> None:
    answer = client.get("/api/v1/interpret", {"q": "бесплатный юрист для ребёнка Углич", "lang": "ru"}).json()
    assert answer["place"]["id"] == UGLICH
    assert answer["categories"] == ["rights-and-legal"]
    assert answer["free"] is True
    assert [h["number"] for h in answer["hotlines"]] == ["8-800-2000-122", "112"]

    typo = client.get("/api/v1/interpret", {"q": "углеч"}).json()
    assert typo["place"] is None and typo["did_you_mean"][0]["name_ru"] == "Углич"

    need = client.get("/api/v1/interpret", {"q": "юрист"}).json()
    assert need["needs_place"] is True and need["place"] is None

    region = client.get("/api/v1/interpret", {"q": "Ярославская область", "lang": "ru"}).json()
    assert region["place"]["id"] == YAROSLAVL
    assert "Ярославль" in region["region_note"] and "Ярославская область" in region["region_note"]


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "x" * 201}, {"q": "Псков", "lang": "de"}])
@pytest.mark.django_db
def test_interpret_api_bad_input_is_400_naming_the_field(client: Client, params: dict) -> None:
    response = client.get("/api/v1/interpret", params)
    assert response.status_code == 400
    field = "lang" if "lang" in params else "q"
    assert field in response.json(), response.json()


@pytest.mark.django_db
def test_interpret_is_in_the_openapi_schema(client: Client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/interpret" in schema["paths"]
