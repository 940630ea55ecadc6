"""The directory itself, shaped after Open Referral HSDS 3: an Organisation,
its registry identifiers, its Locations (where help is given) with their
opening hours, its Services (what is offered) and ServiceAtLocation joining
the two; and the choice sets these use.

The public view of a listing lives here, on the models, once: what the API,
the HSDS export and the pages may show of an organisation's identifiers and of
a location's address and position (``public_*`` properties)."""

from __future__ import annotations

import uuid
from typing import Any, NamedTuple

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgs.models.base import (
    COUNTRY_CODE,
    LANGUAGE_CODE,
    TimeStamped,
    new_blur_seed,
    validate_point_in_range,
    validate_timezone,
)
from orgs.models.gazetteer import Place
from orgs.models.taxonomy import Category, TargetGroup
from orgs.validators import validate_inn, validate_ogrn

# Identifier schemes that name a person rather than an organisation.
PERSONAL_SCHEMES = frozenset({"RU-OGRNIP", "RU-SNILS", "KZ-IIN", "UA-RNOKPP", "UA-IPN", "BY-PERSONAL"})
# Decimals of a public coordinate: ~0.1 m, the precision of the stored public point.
COORDINATE_DECIMALS = 6


class Position(NamedTuple):
    """A point as the public may see it, in WGS84 degrees."""

    lat: float
    lon: float


class PublicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING = "pending", _("Pending review")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class LegalForm(models.TextChoices):
    ANO = "ano", _("Autonomous non-profit organisation (АНО)")
    FOUNDATION = "foundation", _("Charitable foundation (БФ)")
    PUBLIC_ORG = "public_org", _("Public organisation (ОО, РОО, МОО)")
    MOVEMENT = "movement", _("Public movement")
    ASSOCIATION = "association", _("Association or union")
    STATE = "state", _("State or municipal institution")
    COMMERCIAL = "commercial", _("Commercial organisation")
    INITIATIVE = "initiative", _("Initiative without legal entity")
    OTHER = "other", _("Other")


class Visibility(models.TextChoices):
    EXACT = "exact", _("Exact: the address and point are public")
    APPROXIMATE = "approximate", _("Approximate: the public sees a point up to 2 km away")
    CITY = "city", _("City only: the public sees the city, not the place")


class LocationKind(models.TextChoices):
    PHYSICAL = "physical", _("A physical place")
    VIRTUAL = "virtual", _("Online or phone only (no place to visit)")


class ServiceFormat(models.TextChoices):
    IN_PERSON = "in_person", _("In person")
    ONLINE = "online", _("Online")
    PHONE = "phone", _("Phone")


class AreaKind(models.TextChoices):
    ANYWHERE = "anywhere", _("Anywhere")
    COUNTRY = "country", _("A country")
    REGION = "region", _("A region")
    CITY = "city", _("A city")
    RADIUS = "radius", _("A radius around its locations")
    POLYGON = "polygon", _("A drawn area")
    LOCATIONS = "locations", _("Only at its locations")


class Organisation(TimeStamped):
    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="In Russian (the first language).")
    description_en = models.TextField(blank=True)
    description_uk = models.TextField(blank=True)
    legal_form = models.CharField(max_length=20, choices=LegalForm.choices, default=LegalForm.OTHER)
    country = models.CharField(max_length=2, default="RU", validators=[COUNTRY_CODE])
    ogrn = models.CharField("ОГРН", max_length=15, null=True, blank=True, unique=True, validators=[validate_ogrn])
    inn = models.CharField("ИНН", max_length=12, null=True, blank=True, validators=[validate_inn])
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    social_links = ArrayField(models.URLField(), default=list, blank=True)
    logo = models.ImageField(upload_to="logos/", blank=True)
    status = models.CharField(
        max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.PENDING, db_index=True
    )
    last_verified_at = models.DateField(null=True, blank=True)
    # Set by the scheduled ``verification_reminders`` command: not confirmed for
    # 12 months; public views say so. Cleared when the owner confirms.
    is_stale = models.BooleanField(default=False)
    verification_reminded_at = models.DateTimeField(null=True, blank=True)
    # When a coordinator last reminded the owners of what the listing lacks
    # (orgs.services.quality): at most once a week, whoever asks.
    quality_reminded_at = models.DateTimeField(null=True, blank=True)
    moderation_reason = models.TextField(blank=True, help_text="Why it was rejected or suspended (sent to the owner).")
    source = models.TextField(blank=True, help_text="Where the facts of this listing come from.")
    # Derived by orgs.search.index: names, descriptions, services, categories and
    # cities in one lower-cased, ё-folded text for full-text and typo search.
    search_document = models.TextField(default="", editable=False)
    history = HistoricalRecords(excluded_fields=["search_document"])

    class Meta:
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["name"], name="org_name_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["search_document"], name="org_document_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(
                SearchVector("search_document", config="russian"),
                name="org_document_fts",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ogrn__isnull=True) | Q(ogrn__regex=r"^([0-9]{13}|[0-9]{15})$"),
                name="org_ogrn_digits",
            ),
            models.CheckConstraint(
                condition=Q(inn__isnull=True) | Q(inn__regex=r"^([0-9]{10}|[0-9]{12})$"),
                name="org_inn_digits",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="org_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.status == PublicationStatus.PUBLISHED

    # A 15-digit ОГРНИП and a 12-digit ИНН identify a person (an individual
    # entrepreneur): personal data, never public. An organisation's are public
    # record. Every public output (the API, HSDS, the pages) reads these.
    @property
    def public_ogrn(self) -> str | None:
        return self.ogrn if self.ogrn and len(self.ogrn) == 13 else None

    @property
    def public_inn(self) -> str | None:
        return self.inn if self.inn and len(self.inn) == 10 else None

    @property
    def public_identifiers(self) -> list[OrganisationIdentifier]:
        """The other registry identifiers the public may see: a person's are
        left out. Reads ``identifiers`` through its prefetch when there is one."""
        return [ident for ident in self.identifiers.all() if not ident.is_personal]


class OrganisationIdentifier(models.Model):
    """A registry identifier of another country (or scheme) than ОГРН/ИНН."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=60, help_text="e.g. KZ-BIN, UA-EDR, BY-UNP")
    identifier = models.CharField(max_length=60)
    country = models.CharField(max_length=2, blank=True, validators=[COUNTRY_CODE])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scheme", "identifier"], name="identifier_unique_per_scheme"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme}: {self.identifier}"

    @property
    def is_personal(self) -> bool:
        """Whether it names a person (personal data, never public): a personal
        scheme, a 12-digit ИНН or a 15-digit ОГРНИП, however the scheme is spelt."""
        scheme = self.scheme.strip().upper()
        digits = self.identifier.strip()
        if scheme in PERSONAL_SCHEMES:
            return True
        if ("INN" in scheme or "ИНН" in scheme) and len(digits) == 12:
            return True
        return ("OGRN" in scheme or "ОГРН" in scheme) and len(digits) == 15


class Location(TimeStamped):
    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, choices=LocationKind.choices, default=LocationKind.PHYSICAL)
    # The true position: for the owner and moderators only.
    point = models.PointField(geography=True, null=True, blank=True, validators=[validate_point_in_range])
    visibility = models.CharField(max_length=20, choices=Visibility.choices, default=Visibility.EXACT)
    # What the public sees; derived from point and visibility by
    # orgs.geo.public_point_for() on every save.
    public_point = models.PointField(geography=True, null=True, blank=True, editable=False)
    # A fixed random seed per location, so its blurred position is stable:
    # averaging many answers must not converge on the true point.
    blur_seed = models.BigIntegerField(default=new_blur_seed, editable=False)
    address = models.CharField(max_length=500, blank=True)
    city = models.CharField(max_length=200, blank=True)
    region = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, default="RU", validators=[COUNTRY_CODE])
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    timezone = models.CharField(max_length=64, default="Europe/Moscow", validators=[validate_timezone])
    accessibility = models.TextField(blank=True)
    languages = ArrayField(models.CharField(max_length=3, validators=[LANGUAGE_CODE]), default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    source = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=LocationKind.PHYSICAL, point__isnull=False, public_point__isnull=False))
                | Q(kind=LocationKind.VIRTUAL, point__isnull=True, public_point__isnull=True),
                name="location_point_matches_kind",
            ),
            models.CheckConstraint(condition=Q(visibility__in=Visibility.values), name="location_visibility_valid"),
        ]

    def __str__(self) -> str:
        return self.name or self.address or self.city or f"Location {self.pk}"

    # What the public may see of a place: every public output (the API, HSDS,
    # the pages) reads these, never ``point`` or ``address`` directly.
    @property
    def public_address(self) -> str:
        """The street address only when the place is exact: for a protected
        one it would give away what the blurred position hides."""
        return self.address if self.visibility == Visibility.EXACT else ""

    @property
    def public_position(self) -> Position | None:
        """``public_point`` (already blurred, or the town's centre, for protected
        places) rounded to the stored precision; None for an online place."""
        if self.public_point is None:
            return None
        return Position(
            lat=round(self.public_point.y, COORDINATE_DECIMALS), lon=round(self.public_point.x, COORDINATE_DECIMALS)
        )

    def clean(self) -> None:
        # Derived before the constraints are validated (full_clean checks them
        # after clean()), so validation sees the row as save() will write it.
        from orgs.geo import public_point_for

        self.public_point = public_point_for(self)
        if self.kind == LocationKind.PHYSICAL and self.point is None:
            raise ValidationError({"point": _("A physical location needs a point on the map.")})
        if self.kind == LocationKind.VIRTUAL and self.point is not None:
            raise ValidationError({"point": _("An online or phone-only location has no point.")})

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived here (not in a service) so that the admin, the seed loader and
        # every service keep the public position in step with the true one.
        from orgs.geo import public_point_for

        self.public_point = public_point_for(self)
        super().save(*args, **kwargs)


class OpeningHours(models.Model):
    """One opening interval on a weekday, in the location's own time zone.

    ``closes`` at or before ``opens`` means the interval runs past midnight.
    """

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)], help_text="0 = Monday … 6 = Sunday")
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name_plural = "opening hours"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="hours_weekday_range"),
            models.CheckConstraint(condition=~Q(opens=F("closes")), name="hours_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday}: {self.opens:%H:%M}–{self.closes:%H:%M}"


class Service(TimeStamped):
    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    description_en = models.TextField(blank=True)
    description_uk = models.TextField(blank=True)
    categories = models.ManyToManyField(Category, related_name="services")
    target_groups = models.ManyToManyField(TargetGroup, related_name="services", blank=True)
    formats = ArrayField(models.CharField(max_length=20, choices=ServiceFormat.choices), default=list)
    is_free = models.BooleanField(default=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(120)])
    max_age = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(120)])
    eligibility = models.TextField(blank=True)
    languages = ArrayField(models.CharField(max_length=3, validators=[LANGUAGE_CODE]), default=list, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    url = models.URLField(blank=True)
    area_kind = models.CharField(max_length=20, choices=AreaKind.choices, default=AreaKind.LOCATIONS)
    area_country = models.CharField(max_length=2, blank=True, validators=[COUNTRY_CODE])
    # "RU.60": GeoNames country and first-level division, as Place.region_code.
    area_region = models.CharField(max_length=20, blank=True)
    area_place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    area_radius_km = models.PositiveIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    area_polygon = models.MultiPolygonField(geography=True, null=True, blank=True)
    locations = models.ManyToManyField(Location, through="ServiceAtLocation", related_name="services", blank=True)
    source = models.TextField(blank=True)
    history = HistoricalRecords(m2m_fields=[categories, target_groups])

    class Meta:
        ordering = ["organisation_id", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(formats__contained_by=ServiceFormat.values) & ~Q(formats=[]),
                name="service_formats_valid",
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=F("max_age")),
                name="service_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(area_kind__in=[AreaKind.ANYWHERE, AreaKind.LOCATIONS])
                | Q(area_kind=AreaKind.COUNTRY, area_country__regex=r"^[A-Z]{2}$")
                | Q(area_kind=AreaKind.REGION, area_region__regex=r"^[A-Z]{2}\.[A-Za-z0-9]+$")
                | Q(area_kind=AreaKind.CITY, area_place__isnull=False)
                | Q(area_kind=AreaKind.RADIUS, area_radius_km__isnull=False)
                | Q(area_kind=AreaKind.POLYGON, area_polygon__isnull=False),
                name="service_area_complete",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_remote(self) -> bool:
        return bool({ServiceFormat.ONLINE, ServiceFormat.PHONE} & set(self.formats))

    # The field each incomplete service area needs (mirrors service_area_complete).
    AREA_FIELD = {
        AreaKind.COUNTRY: ("area_country", _("Give the country as a two-letter code, e.g. RU.")),
        AreaKind.REGION: (
            "area_region",
            _("Give the region as country.code, e.g. RU.48 — or choose it from the list."),
        ),
        AreaKind.CITY: ("area_place", _("Choose the town the service covers.")),
        AreaKind.RADIUS: ("area_radius_km", _("Give the radius in kilometres around the service's places.")),
        AreaKind.POLYGON: ("area_polygon", _("Draw the area the service covers.")),
    }

    def clean(self) -> None:
        # The database constraints say the same; these messages say how to fix it
        # on the field to fix (full_clean then skips the constraints on those fields).
        errors: dict[str, Any] = {}
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["max_age"] = _("The upper age must not be below the lower age.")
        needed = self.AREA_FIELD.get(self.area_kind)  # type: ignore[call-overload]
        # area_place is read by its id: no query for the related row.
        if needed is not None and getattr(self, needed[0].replace("area_place", "area_place_id")) in (None, ""):
            errors[needed[0]] = needed[1]
        if errors:
            raise ValidationError(errors)


class ServiceAtLocation(models.Model):
    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="at_locations")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="service_at_location_unique"),
        ]
