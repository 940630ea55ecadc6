"""The directory's domain, shaped after Open Referral HSDS 3.

Organisation -> Location (where help is given) and Service (what is offered),
joined by ServiceAtLocation; Category and TargetGroup classify services;
Network and Membership are the coalitions; ActivePeopleCentre and Expert are
this project's own. Place is the offline gazetteer.

Positions are geography columns (SRID 4326, metres, GiST-indexed). A location's
true ``point`` is never shown publicly; every public output reads
``public_point``, which equals ``point`` only for exact visibility.
"""

from __future__ import annotations

import secrets
import uuid
import zoneinfo
from typing import Any

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, GistIndex
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from orgs.validators import validate_inn, validate_ogrn

COUNTRY_CODE = RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter ISO country code, e.g. RU."))
LANGUAGE_CODE = RegexValidator(r"^[a-z]{2,3}$", _("Use an ISO 639 language code, e.g. ru."))


def validate_point_in_range(value: Any) -> None:
    """PostGIS silently coerces an out-of-range geography coordinate (latitude 95
    is stored as 85), so no CHECK constraint can catch it after the fact: it must
    be refused before it is written."""
    if value is None:
        return
    if not (-90 <= value.y <= 90) or not (-180 <= value.x <= 180):
        raise ValidationError(
            _("Latitude must be between -90 and 90 and longitude between -180 and 180 (got %(lat)s, %(lon)s)."),
            params={"lat": value.y, "lon": value.x},
            code="point_out_of_range",
        )


def new_blur_seed() -> int:
    return secrets.randbits(62)


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("%(value)s is not a time zone; use an IANA name such as Europe/Moscow."),
            params={"value": value},
        )


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


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


# --- gazetteer -------------------------------------------------------------------


class Place(models.Model):
    """A city or town from GeoNames (loaded by ``manage.py load_gazetteer``)."""

    geonameid = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200, help_text="GeoNames' Latin name")
    name_ru = models.CharField(max_length=200, blank=True)
    country_code = models.CharField(max_length=2, validators=[COUNTRY_CODE])
    admin1_code = models.CharField(max_length=20, blank=True)
    population = models.PositiveIntegerField(default=0)
    timezone = models.CharField(max_length=64, blank=True)
    point = models.PointField(geography=True, validators=[validate_point_in_range])
    # Every name (Latin, Cyrillic, other spellings) lower-cased with ё folded to
    # е; exact look-ups use the array, typo-tolerant ones the trigram index on
    # the joined text.
    names = ArrayField(models.CharField(max_length=200), default=list)
    search_text = models.TextField(default="")

    class Meta:
        indexes = [
            GinIndex(fields=["names"], name="place_names_gin"),
            GinIndex(fields=["search_text"], name="place_search_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name_ru or self.name} ({self.country_code})"

    @property
    def region_code(self) -> str:
        return f"{self.country_code}.{self.admin1_code}" if self.admin1_code else self.country_code


# --- taxonomy --------------------------------------------------------------------


class Category(models.Model):
    """A service category; a hierarchy (a filter on a category includes its children)."""

    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_uk = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.TextField(blank=True, help_text="Where this category comes from (a seed document).")

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name_ru


class TargetGroup(models.Model):
    """Who the help is for."""

    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_uk = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_ru


# --- organisations ----------------------------------------------------------------


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
    # orgs.services.location_public_point() on every save.
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


# --- coalitions ---------------------------------------------------------------


class MembershipRole(models.TextChoices):
    MEMBER = "member", _("Member")
    CANDIDATE = "candidate", _("Candidate")
    PARTNER = "partner", _("Partner")
    PARTICIPANT = "participant", _("Participant")


class MembershipStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXCLUDED = "excluded", _("Excluded")
    REJECTED = "rejected", _("Rejected")


class Network(TimeStamped):
    """A coalition. Its admission rules are data, set per network."""

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=300)
    name_en = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    countries = ArrayField(models.CharField(max_length=2, validators=[COUNTRY_CODE]), default=list, blank=True)
    roles = ArrayField(
        models.CharField(max_length=20, choices=MembershipRole.choices),
        default=list,
        help_text="Roles this network grants.",
    )
    min_recommendations = models.PositiveSmallIntegerField(
        default=0, help_text="Recommendations from members needed to become a member."
    )
    candidate_term_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long a candidate status lasts before the board reviews it."
    )
    auto_match_experts = models.BooleanField(
        default=False, help_text="Journalists' requests may go to the best-matching expert without a coordinator."
    )
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(roles__contained_by=MembershipRole.values), name="network_roles_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStamped):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices)
    status = models.CharField(max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.APPLIED)
    since = models.DateField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    source = models.TextField(blank=True)
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    review_reminded_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "network"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(since__isnull=True) | Q(until__isnull=True) | Q(until__gt=F("since")),
                name="membership_until_after_since",
            ),
            # A candidate's term runs from its start: it must be known. Other
            # roles may have joined on a date nobody recorded.
            models.CheckConstraint(
                condition=~Q(status=MembershipStatus.ACTIVE, role=MembershipRole.CANDIDATE) | Q(since__isnull=False),
                name="membership_candidate_has_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.network} ({self.role})"


class Recommendation(models.Model):
    """A member organisation vouching for an applicant to the same network."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="recommendations")
    recommender = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="recommendations_given")
    created_at = models.DateTimeField(auto_now_add=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "recommender"], name="recommendation_once"),
        ]


# --- Active People Centres -----------------------------------------------------


# The widest a centre's radius may be; the search for centres near a point relies on it.
CENTRE_MAX_RADIUS_M = 50_000


class ActivePeopleCentre(TimeStamped):
    """A line of work of a host organisation serving a local territory."""

    host = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="centres")
    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    territory = models.MultiPolygonField(geography=True, null=True, blank=True)
    centre = models.PointField(geography=True, null=True, blank=True, validators=[validate_point_in_range])
    radius_m = models.PositiveIntegerField(null=True, blank=True, validators=[MaxValueValidator(CENTRE_MAX_RADIUS_M)])
    helps_with = models.ManyToManyField(Category, related_name="centres", blank=True)
    source = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(territory__isnull=False) | Q(centre__isnull=False, radius_m__isnull=False),
                name="centre_has_territory",
            ),
            models.CheckConstraint(condition=Q(radius_m__lte=CENTRE_MAX_RADIUS_M), name="centre_radius_at_most_50km"),
        ]

    def __str__(self) -> str:
        return self.name


# --- experts --------------------------------------------------------------------


class Expert(TimeStamped):
    """A person who may comment for the media. Contacts are private by design:
    no public serializer, page or export reads them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="experts")
    user = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="expert_profiles"
    )
    full_name = models.CharField(max_length=200)
    topics = models.ManyToManyField(Category, related_name="experts", blank=True)
    languages = ArrayField(models.CharField(max_length=3, validators=[LANGUAGE_CODE]), default=list, blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    on_camera = models.BooleanField(default=False)
    paused = models.BooleanField(default=False)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    share_email = models.BooleanField(default=True)
    share_phone = models.BooleanField(default=False)
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.full_name


# --- search index ---------------------------------------------------------------


class SearchEntry(models.Model):
    """One row per (published location, service offered there, facet).

    The nearest search reads only this table. ``facet`` is 0 for "any help" and
    otherwise the id of a category of the service or one of its ancestors, so a
    filter on any category, parent or leaf, is one equality. The composite GiST
    index on (facet, public_point) (btree_gist) serves ``WHERE facet = X ORDER
    BY public_point <-> origin LIMIT n`` for a rare category as fast as for a
    common one, instead of walking the whole KNN order and filtering.

    Rows are derived data: orgs.search.index keeps them in step with every write
    (only published organisations have rows) and can rebuild them.
    """

    facet = models.BigIntegerField()
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(Service, null=True, on_delete=models.CASCADE, related_name="+")
    public_point = models.PointField(geography=True, spatial_index=False)
    visibility = models.CharField(max_length=20)
    timezone = models.CharField(max_length=64)
    target_ids = ArrayField(models.BigIntegerField(), default=list)
    formats = ArrayField(models.CharField(max_length=20), default=list)
    is_free = models.BooleanField(default=True)
    languages = ArrayField(models.CharField(max_length=3), default=list)
    network_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        # The foreign keys' own indexes serve the refreshes (by organisation) and
        # the cascades (by location, by service); no second copy of them.
        indexes = [
            GistIndex(fields=["facet", "public_point"], name="search_facet_point_gist"),
        ]


class RemoteEntry(models.Model):
    """One row per (online or phone service of a published organisation whose
    area is wider than its locations, facet); for a radius area, one per
    location of the service as well.

    The remote-help search reads only this table, one index probe per kind of
    area, however many services the directory holds:

    - a city, a region, a country or anywhere: ``area_key`` ("city:524901",
      "region:RU.48", "country:RU", "anywhere") is an equality, and the btree on
      (facet, area_key, organisation_name, service_name) yields rows already in
      display order, so a LIMIT stops after a page;
    - a drawn area: ``area`` is the polygon (GiST on (facet, area));
    - a radius around a location: ``area`` is a polygon that contains the circle
      (a little wider; the search checks the exact geodesic distance to
      ``centre`` against ``radius_m``). A radius too wide for such a polygon
      has no ``area`` and the key "radius" instead.

    Derived data, kept in step by orgs.search.index like SearchEntry.
    """

    facet = models.BigIntegerField()
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Narrow areas first: 0 a drawn area or a radius, 1 a city, 2 a region, 3 a country, 4 anywhere.
    rank = models.PositiveSmallIntegerField()
    area_key = models.CharField(max_length=40)
    area = models.MultiPolygonField(geography=True, null=True, spatial_index=False)
    centre = models.PointField(geography=True, null=True, spatial_index=False)
    radius_m = models.FloatField(null=True)
    organisation_name = models.CharField(max_length=300)
    service_name = models.CharField(max_length=300)
    target_ids = ArrayField(models.BigIntegerField(), default=list)
    formats = ArrayField(models.CharField(max_length=20), default=list)
    is_free = models.BooleanField(default=True)
    languages = ArrayField(models.CharField(max_length=3), default=list)
    network_ids = ArrayField(models.BigIntegerField(), default=list)

    class Meta:
        indexes = [
            models.Index(
                fields=["facet", "area_key", "organisation_name", "service_name", "service"],
                name="remote_key_order",
                condition=Q(area__isnull=True),
            ),
            GistIndex(fields=["facet", "area"], name="remote_facet_area_gist", condition=Q(area__isnull=False)),
        ]


class ClusterCell(models.Model):
    """Precomputed map clusters for zoom levels up to orgs.search.index.MAX_CLUSTER_ZOOM.

    One row per (zoom, facet, grid cell): how many published locations lie in
    it and the sums of their coordinates (for the centroid). ``facet`` is 0 for
    all, a category id, or minus a network id. Maintained incrementally by
    orgs.search.index (counts are added and subtracted as rows change), so a
    viewport costs at most a screenful of cells (about 16 x 10), whether it
    shows the whole region or a city of fifty thousand locations.
    """

    zoom = models.PositiveSmallIntegerField()
    facet = models.BigIntegerField()
    cx = models.IntegerField()
    cy = models.IntegerField()
    n = models.IntegerField(default=0)
    sum_lon = models.FloatField(default=0)
    sum_lat = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["zoom", "facet", "cx", "cy"], name="cluster_cell_unique"),
            models.CheckConstraint(condition=Q(n__gte=0), name="cluster_cell_count_not_negative"),
        ]


# --- accounts, roles and moderation --------------------------------------------


class AccessRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    EDITOR = "editor", _("Editor")


class OrganisationAccess(TimeStamped):
    """A partner account that may edit an organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="access")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="organisation_access")
    role = models.CharField(max_length=20, choices=AccessRole.choices, default=AccessRole.OWNER)
    invited_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="organisation_access_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation} ({self.role})"


class EditorInvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Withdrawn")


class OrganisationInvitation(TimeStamped):
    """An owner's invitation to edit a listing, e-mailed as a signed, expiring
    link (``orgs.services.invitation_token``). The signature makes the link
    unforgeable; this row makes it single-use and lets the owner withdraw it
    before it expires, so a removed editor cannot come back with an old link.

    The address is the invitee's personal data: shown to the organisation's
    owners and site moderators only, never in a public output."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    invited_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(
        max_length=20, choices=EditorInvitationStatus.choices, default=EditorInvitationStatus.PENDING
    )
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(status="pending"),
                name="invitation_one_pending_per_address",
            ),
            models.CheckConstraint(
                condition=~Q(status="accepted") | Q(accepted_at__isnull=False),
                name="invitation_accepted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.status})"


class NetworkCoordinator(TimeStamped):
    """A member of a coalition's board who moderates for that coalition only."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="coordinators")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="coordinates")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["network", "user"], name="network_coordinator_once"),
        ]

    def __str__(self) -> str:
        return f"{self.user} coordinates {self.network}"


class Decision(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ModerationItem(TimeStamped):
    """Common shape of what waits for a moderator's decision."""

    status = models.CharField(max_length=20, choices=Decision.choices, default=Decision.PENDING, db_index=True)
    requested_by = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")
    decided_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True


class ChangeRequest(ModerationItem):
    """An owner's change to a published listing that waits for approval: the
    name, the registry identifiers, a location's position or address.

    ``changes`` maps a field to {"old": …, "new": …}; a location change names
    its location. Two entries are more than one field: ``"identifiers"`` holds
    the whole list of other registry identifiers, old and new; ``"location"``
    holds a whole place: {"old": null, "new": {its fields}} to add one,
    {"old": {its fields}, "new": null} (naming the location) to remove it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="change_requests")
    location = models.ForeignKey(Location, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    changes = models.JSONField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status=Decision.PENDING) | Q(status=Decision.WITHDRAWN) | Q(decided_at__isnull=False),
                name="change_request_decided_has_time",
            ),
        ]


class Claim(ModerationItem):
    """ "This is us — let us manage it": a partner asks to manage an existing listing."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="claims")
    message = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "requested_by"],
                condition=Q(status="pending"),
                name="claim_one_pending_per_user",
            ),
            models.CheckConstraint(
                condition=Q(status=Decision.PENDING) | Q(status=Decision.WITHDRAWN) | Q(decided_at__isnull=False),
                name="claim_decided_has_time",
            ),
        ]


# --- journalists and experts ----------------------------------------------------------


class PressFormat(models.TextChoices):
    WRITTEN = "written", _("Written comment")
    INTERVIEW = "interview", _("Interview")
    CAMERA = "camera", _("On camera")


class PressRequestStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Waiting for e-mail confirmation")
    RECEIVED = "received", _("Received")
    SEARCHING = "searching", _("Looking for an expert")
    FOUND = "found", _("Expert found")
    NO_EXPERT = "no_expert", _("No expert available")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class PressRequest(TimeStamped):
    """A journalist's request for an expert comment. No account: the journalist
    confirms by an e-mailed link and follows it through a private link. Tokens
    are stored hashed (SHA-256), so the database alone cannot open them."""

    journalist_name = models.CharField(max_length=200)
    outlet = models.CharField(max_length=200)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    topic = models.CharField(max_length=500)
    questions = models.TextField(blank=True)
    categories = models.ManyToManyField(Category, related_name="+", blank=True)
    target_groups = models.ManyToManyField(TargetGroup, related_name="+", blank=True)
    place = models.ForeignKey(Place, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    region = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=3, default="ru", validators=[LANGUAGE_CODE])
    format = models.CharField(max_length=20, choices=PressFormat.choices, default=PressFormat.WRITTEN)
    deadline = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=PressRequestStatus.choices, default=PressRequestStatus.UNCONFIRMED, db_index=True
    )
    confirm_token_hash = models.CharField(max_length=64, unique=True)
    tracking_token_hash = models.CharField(max_length=64, unique=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    network = models.ForeignKey(
        Network,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="press_requests",
        help_text="The coalition whose coordinators handle it (from the topic).",
    )

    class Meta:
        ordering = ["deadline"]

    def __str__(self) -> str:
        return f"{self.outlet}: {self.topic}"


class InvitationStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Cancelled")


class ExpertInvitation(TimeStamped):
    """A request put to one expert, answered through one-time expiring links."""

    request = models.ForeignKey(PressRequest, on_delete=models.CASCADE, related_name="invitations")
    expert = models.ForeignKey(Expert, on_delete=models.CASCADE, related_name="invitations")
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.SENT)
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when sent automatically.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "expert"], name="invitation_once_per_expert"),
            models.CheckConstraint(
                condition=Q(status=InvitationStatus.SENT)
                | Q(responded_at__isnull=False)
                | Q(status__in=[InvitationStatus.EXPIRED, InvitationStatus.CANCELLED]),
                name="invitation_answer_has_time",
            ),
        ]


class Disclosure(models.Model):
    """Every time an expert's contact reaches a journalist: which expert, to
    whom, when, which contacts, by whose action. Experts see their own log."""

    expert = models.ForeignKey(Expert, on_delete=models.PROTECT, related_name="disclosures")
    request = models.ForeignKey(PressRequest, on_delete=models.PROTECT, related_name="disclosures")
    journalist_email = models.EmailField()
    contacts = ArrayField(models.CharField(max_length=20), help_text="Which contacts: email, phone.")
    disclosed_at = models.DateTimeField(auto_now_add=True)
    by_user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    by_expert = models.BooleanField(default=True, help_text="The expert's own acceptance released the contacts.")

    class Meta:
        ordering = ["-disclosed_at"]


# The outgoing-mail table, in its own module (orgs/outbox.py uses it).
from orgs.outbox_models import OutgoingEmail, OutgoingEmailStatus  # noqa: E402, F401
