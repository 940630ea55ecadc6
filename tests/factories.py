"""Test data built in code (factory_boy) against the real PostGIS database."""

from __future__ import annotations

import factory
from django.contrib.gis.geos import Point
from factory.django import DjangoModelFactory

from orgs import models as m


class PlaceFactory(DjangoModelFactory):
    class Meta:
        model = m.Place

    geonameid = factory.Sequence(lambda n: 9_000_000 + n)
    name = factory.Sequence(lambda n: f"Town {n}")
    name_ru = factory.Sequence(lambda n: f"Город {n}")
    country_code = "RU"
    admin1_code = "60"
    population = 10_000
    timezone = "Europe/Moscow"
    point = factory.LazyFunction(lambda: Point(28.33, 57.82, srid=4326))
    names = factory.LazyAttribute(lambda o: [o.name.lower(), o.name_ru.lower()])
    search_text = factory.LazyAttribute(lambda o: " | ".join(o.names))


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = m.Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_ru = factory.Sequence(lambda n: f"Категория {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class TargetGroupFactory(DjangoModelFactory):
    class Meta:
        model = m.TargetGroup
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"target-{n}")
    name_ru = factory.Sequence(lambda n: f"Группа {n}")
    name_en = factory.Sequence(lambda n: f"Group {n}")


class NetworkFactory(DjangoModelFactory):
    class Meta:
        model = m.Network
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"network-{n}")
    name = factory.Sequence(lambda n: f"Сеть {n}")
    roles = factory.LazyFunction(lambda: ["member", "candidate", "partner"])


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = m.Organisation
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"АНО «Помощь {n}»")
    slug = factory.Sequence(lambda n: f"org-{n}")
    description = "Психологическая помощь детям и семьям."
    legal_form = m.LegalForm.ANO
    status = m.PublicationStatus.PUBLISHED

    # A published organisation needs a location or a remote service (a deferred
    # trigger checks it, and Django checks deferred constraints when a test ends),
    # so one is created unless the caller builds its own: located=False.
    @factory.post_generation
    def located(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False and self.status == m.PublicationStatus.PUBLISHED:
            LocationFactory(organisation=self)


class LocationFactory(DjangoModelFactory):
    class Meta:
        model = m.Location

    organisation = factory.SubFactory(OrganisationFactory, located=False)
    name = factory.Sequence(lambda n: f"Отделение {n}")
    kind = m.LocationKind.PHYSICAL
    point = factory.LazyFunction(lambda: Point(28.33, 57.82, srid=4326))
    visibility = m.Visibility.EXACT
    city = "Псков"
    country = "RU"
    timezone = "Europe/Moscow"


class ServiceFactory(DjangoModelFactory):
    class Meta:
        model = m.Service
        skip_postgeneration_save = True

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Консультация {n}")
    formats = factory.LazyFunction(lambda: [m.ServiceFormat.IN_PERSON])
    is_free = True

    @factory.post_generation
    def categories(self, create: bool, extracted: list[m.Category] | None, **kwargs: object) -> None:
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def target_groups(self, create: bool, extracted: list[m.TargetGroup] | None, **kwargs: object) -> None:
        if create and extracted:
            self.target_groups.set(extracted)

    @factory.post_generation
    def locations(self, create: bool, extracted: list[m.Location] | None, **kwargs: object) -> None:
        if create and extracted:
            self.locations.set(extracted)


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = m.Membership

    organisation = factory.SubFactory(OrganisationFactory)
    network = factory.SubFactory(NetworkFactory)
    role = m.MembershipRole.MEMBER
    status = m.MembershipStatus.ACTIVE
    since = factory.Faker("date_between", start_date="-3y", end_date="-1y")


class ExpertFactory(DjangoModelFactory):
    class Meta:
        model = m.Expert

    organisation = factory.SubFactory(OrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Эксперт {n}")
    email = factory.Sequence(lambda n: f"expert{n}@private.example")
    phone = "+7 900 000-00-00"


# --- press requests (journalists and experts) ---------------------------------------------


def _press_token_hash(n: int) -> str:
    import hashlib

    return hashlib.sha256(f"factory-press-token-{n}".encode()).hexdigest()


def _in_two_days() -> object:
    import datetime as dt

    from django.utils import timezone

    return timezone.now() + dt.timedelta(days=2)


class PressRequestFactory(DjangoModelFactory):
    """A confirmed request (status "received") unless told otherwise; its
    tokens are unknown to the test (use the services to get real ones)."""

    class Meta:
        model = m.PressRequest
        skip_postgeneration_save = True

    journalist_name = "Мария Журналистова"
    outlet = factory.Sequence(lambda n: f"Издание {n}")
    email = factory.Sequence(lambda n: f"journalist{n}@media.example")
    topic = "Как защитить детей от сексуализированного насилия"
    language = "ru"
    format = m.PressFormat.WRITTEN
    deadline = factory.LazyFunction(_in_two_days)
    status = m.PressRequestStatus.RECEIVED
    confirm_token_hash = factory.Sequence(lambda n: _press_token_hash(2 * n))
    tracking_token_hash = factory.Sequence(lambda n: _press_token_hash(2 * n + 1))

    @factory.post_generation
    def categories(self, create: bool, extracted: list[m.Category] | None, **kwargs: object) -> None:
        if create and extracted:
            self.categories.set(extracted)


# --- the public pages: opening hours and Active People Centres ---------------------------


def _time(hour: int) -> object:
    import datetime as dt

    return dt.time(hour, 0)


def _pskov_square() -> object:
    from django.contrib.gis.geos import MultiPolygon, Polygon

    return MultiPolygon(Polygon.from_bbox((28.30, 57.80, 28.36, 57.84)), srid=4326)


class OpeningHoursFactory(DjangoModelFactory):
    class Meta:
        model = m.OpeningHours

    location = factory.SubFactory(LocationFactory)
    weekday = 0
    opens = factory.LazyFunction(lambda: _time(9))
    closes = factory.LazyFunction(lambda: _time(18))


class ActivePeopleCentreFactory(DjangoModelFactory):
    """A centre whose territory is a small square in Pskov (or pass
    territory=None with centre= and radius_m=)."""

    class Meta:
        model = m.ActivePeopleCentre
        skip_postgeneration_save = True

    host = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Центр активных людей {n}")
    slug = factory.Sequence(lambda n: f"centre-{n}")
    territory = factory.LazyFunction(_pskov_square)

    @factory.post_generation
    def helps_with(self, create: bool, extracted: list[m.Category] | None, **kwargs: object) -> None:
        if create and extracted:
            self.helps_with.set(extracted)
