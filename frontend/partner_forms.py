"""Forms of the partner pages: they check the shape of what was typed and turn
it into the plain data the services in orgs.services take. The rules of the
domain (checksums, who may change what, duplicates, what waits for approval)
live in the services and the models; a form adds only messages that say how to
fix an input, where the database's own message would not (a check constraint's
name means nothing to a partner)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontend import labels
from frontend.templatetags.frontend_tags import localized
from orgs import models as m
from orgs.gazetteer import place_nearest, place_resolve
from orgs.validators import validate_inn, validate_ogrn

COUNTRIES: dict[str, Promise] = {
    "RU": pgettext_lazy("country", "Russia"),
    "UA": pgettext_lazy("country", "Ukraine"),
    "BY": pgettext_lazy("country", "Belarus"),
    "MD": pgettext_lazy("country", "Moldova"),
    "KZ": pgettext_lazy("country", "Kazakhstan"),
    "UZ": pgettext_lazy("country", "Uzbekistan"),
    "KG": pgettext_lazy("country", "Kyrgyzstan"),
    "TJ": pgettext_lazy("country", "Tajikistan"),
    "TM": pgettext_lazy("country", "Turkmenistan"),
    "AZ": pgettext_lazy("country", "Azerbaijan"),
    "AM": pgettext_lazy("country", "Armenia"),
    "GE": pgettext_lazy("country", "Georgia"),
    "EE": pgettext_lazy("country", "Estonia"),
    "LV": pgettext_lazy("country", "Latvia"),
    "LT": pgettext_lazy("country", "Lithuania"),
}


# Languages of help, each named in itself (a speaker finds their own).
LANGUAGES = (
    ("ru", "Русский"),
    ("uk", "Українська"),
    ("be", "Беларуская"),
    ("kk", "Қазақша"),
    ("ky", "Кыргызча"),
    ("uz", "Oʻzbekcha"),
    ("tg", "Тоҷикӣ"),
    ("tk", "Türkmençe"),
    ("az", "Azərbaycanca"),
    ("hy", "Հայերեն"),
    ("ka", "ქართული"),
    ("ro", "Română"),
    ("et", "Eesti"),
    ("lv", "Latviešu"),
    ("lt", "Lietuvių"),
    ("en", "English"),
)

# Identifier schemes of other countries, offered as suggestions (free text).
IDENTIFIER_SCHEMES = ("KZ-BIN", "UA-EDR", "BY-UNP", "KG-INN", "UZ-INN", "TJ-INN", "AM-TIN", "GE-ID", "MD-IDNO")

LATLON_TOGETHER = _("The point was not recorded completely: click the map again.")
NEEDS_POINT = _("Click the map to mark the place, or choose its town from the list.")
UNKNOWN_TOWN = _("We do not know a town called “%(q)s”. Check the spelling or choose one from the list.")
EXACT_NEEDS_POINT = _(
    "With “exact” visibility the public sees the point, so mark the place on the map, "
    "or choose “city only” to show just the town."
)
HOURS_BOTH = _("Give both the opening and the closing time, or neither.")
HOURS_EMPTY = _("Opening and closing times are the same: for a day and night service, use 00:00 and 23:59.")
AGES_ORDER = _("The lowest age is above the highest: swap them.")
AREA_COUNTRY = _("Choose the country the service covers.")
AREA_TOWN = _("Choose a town from the list.")
AREA_REGION = _("Choose any town of the region from the list: the service covers its whole region.")
AREA_RADIUS = _("Give the radius in kilometres.")
NO_PRESENCE = _(
    "People must be able to find you: add a place, or a service given online or by phone. "
    "A listing without either cannot be published."
)


def visibility_help() -> dict[str, str]:
    """What the public sees for each visibility level, in plain words."""
    km = settings.LOCATION_BLUR_M / 1000
    return {
        m.Visibility.EXACT: str(
            _(
                "Everyone sees the address and the exact point on the map. "
                "For offices and centres that receive visitors."
            )
        ),
        m.Visibility.APPROXIMATE: str(
            _(
                "The public sees a point %(low)s–%(high)s km away from the real place, always the same one, and no "
                "street address; distances are rounded to a kilometre. People contact you to learn where to come. "
                "For a shelter or a place that must not be easy to find."
            )
            % {"low": f"{km / 2:g}", "high": f"{km:g}"}
        ),
        m.Visibility.CITY: str(
            _(
                "The public sees only the town (its centre on the map), never the address. "
                "For a place that must stay secret."
            )
        ),
    }


VISIBILITY_LABELS: dict[str, Promise] = {
    m.Visibility.EXACT: pgettext_lazy("visibility", "Exact"),
    m.Visibility.APPROXIMATE: pgettext_lazy("visibility", "Approximate"),
    m.Visibility.CITY: pgettext_lazy("visibility", "City only"),
}


def _digits(value: str) -> str:
    # People copy identifiers with spaces from registry extracts.
    return "".join(value.split())


def _keep_choice(form: forms.Form, name: str, current: str) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = _choices_with(list(cast(Iterable[tuple[str, Any]], field.choices)), [current])


def _choices_with(choices: Sequence[tuple[str, Any]], current: Iterable[str]) -> list[tuple[str, Any]]:
    """The choices plus any current value not among them, so an edit never drops it."""
    known = {value for value, _label in choices}
    return [*choices, *((value, value) for value in current if value and value not in known)]


FIELD_TEMPLATE = "frontend/partner/_field.html"


class PartnerRenderer(DjangoTemplates):
    field_template_name = FIELD_TEMPLATE


class PartnerForm(forms.Form):
    """Each field's label, help, errors and input in one box (the pages lay fields out in a grid)."""

    default_renderer = PartnerRenderer


# --- the organisation ------------------------------------------------------------------


class OrganisationForm(PartnerForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=300,
        help_text=_("As in the registry, with the legal form, e.g. АНО «Светлый дом»."),
    )
    legal_form = forms.ChoiceField(label=_("Legal form"), choices=list(labels.LEGAL_FORMS.items()))
    country = forms.ChoiceField(label=_("Country of registration"), choices=list(COUNTRIES.items()), initial="RU")
    ogrn = forms.CharField(
        label="ОГРН",
        required=False,
        max_length=20,
        validators=[validate_ogrn],
        help_text=_("13 digits (15 for ОГРНИП). Russian organisations only."),
    )
    inn = forms.CharField(
        label="ИНН",
        required=False,
        max_length=20,
        validators=[validate_inn],
        help_text=_("10 digits (12 for an individual)."),
    )
    website = forms.URLField(label=_("Website"), required=False, max_length=200)
    email = forms.EmailField(label=_("Public e-mail"), required=False)
    social_links = forms.CharField(
        label=_("Social media pages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One address per line."),
    )
    description = forms.CharField(
        label=_("What you do (in Russian)"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=_("The same in English (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    description_uk = forms.CharField(
        label=_("The same in Ukrainian (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_ogrn(self) -> str:
        return _digits(self.cleaned_data["ogrn"])

    def clean_inn(self) -> str:
        return _digits(self.cleaned_data["inn"])

    def clean_social_links(self) -> list[str]:
        links = [line.strip() for line in str(self.cleaned_data["social_links"]).splitlines() if line.strip()]
        validate = URLValidator(schemes=["http", "https"])
        for link in links:
            try:
                validate(link)
            except ValidationError as exc:
                raise ValidationError(
                    _("“%(link)s” is not a web address; start it with https://."), params={"link": link}
                ) from exc
        return links

    @classmethod
    def for_organisation(cls, org: m.Organisation, data: Any = None) -> OrganisationForm:
        initial: dict[str, Any] = {name: getattr(org, name) for name in cls.base_fields}
        initial["social_links"] = "\n".join(org.social_links)
        initial["ogrn"] = org.ogrn or ""
        initial["inn"] = org.inn or ""
        form = cls(data, initial=initial, prefix="org")
        _keep_choice(form, "country", org.country)
        return form

    def changes(self) -> dict[str, Any]:
        """What the services take: every field (they compare with the stored values)."""
        return dict(self.cleaned_data)


class IdentifierForm(PartnerForm):
    scheme = forms.CharField(
        label=_("Scheme"),
        max_length=60,
        widget=forms.TextInput(attrs={"list": "identifier-schemes"}),
        help_text=_("e.g. KZ-BIN, UA-EDR, BY-UNP"),
    )
    identifier = forms.CharField(label=_("Number"), max_length=60)
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[("", "—"), *COUNTRIES.items()], initial="")

    def data_for_service(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "DELETE"}


IdentifierFormSet = forms.formset_factory(IdentifierForm, extra=0, can_delete=True, max_num=10)


def kept_identifier_forms(formset: forms.BaseFormSet) -> list[IdentifierForm]:
    """The identifier forms that hold a number and are not marked for removal,
    in order: on the edit page they are the whole new list (an untouched row
    counts, unlike on the registration page)."""
    deleted = set(map(id, formset.deleted_forms))
    return [
        cast(IdentifierForm, f)
        for f in formset.forms
        if id(f) not in deleted and f.cleaned_data.get("scheme") and f.cleaned_data.get("identifier")
    ]


def identifier_initial(org: m.Organisation) -> list[dict[str, str]]:
    return [
        {"scheme": i.scheme, "identifier": i.identifier, "country": i.country}
        for i in org.identifiers.order_by("scheme", "identifier")
    ]


# --- opening hours ------------------------------------------------------------------------


class HoursMixin(PartnerForm):
    """One opening interval per weekday, in the place's own time zone."""

    def add_hours_fields(self) -> None:
        for day in range(7):
            for end in ("opens", "closes"):
                self.fields[f"hours_{day}_{end}"] = forms.TimeField(
                    required=False, label=str(labels.WEEKDAYS[day]), widget=forms.TimeInput(attrs={"type": "time"})
                )

    def hours_rows(self) -> list[tuple[Promise, forms.BoundField, forms.BoundField]]:
        return [(labels.WEEKDAYS[d], self[f"hours_{d}_opens"], self[f"hours_{d}_closes"]) for d in range(7)]

    def clean_hours(self) -> list[dict[str, Any]]:
        hours = []
        for day in range(7):
            opens = self.cleaned_data.get(f"hours_{day}_opens")
            closes = self.cleaned_data.get(f"hours_{day}_closes")
            if (opens is None) != (closes is None):
                self.add_error(f"hours_{day}_opens", HOURS_BOTH)
            elif opens is not None and opens == closes:
                self.add_error(f"hours_{day}_opens", HOURS_EMPTY)
            elif opens is not None:
                hours.append({"weekday": day, "opens": opens, "closes": closes})
        return hours

    def hours_changed(self) -> bool:
        return any(name.startswith("hours_") for name in self.changed_data)

    @staticmethod
    def initial_hours(location: m.Location) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for interval in location.hours.all():
            initial.setdefault(f"hours_{interval.weekday}_opens", interval.opens)
            initial.setdefault(f"hours_{interval.weekday}_closes", interval.closes)
        return initial


# --- a location -----------------------------------------------------------------------------


class LocationForm(HoursMixin):
    name = forms.CharField(
        label=_("Name of this place (optional)"), required=False, max_length=300, help_text=_("e.g. Main office")
    )
    city = forms.CharField(
        label=_("Town"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"data-place-input": "", "autocomplete": "off"}),
        help_text=_("Start typing and choose from the list."),
    )
    place = forms.IntegerField(required=False, widget=forms.HiddenInput(attrs={"data-place-id": ""}))
    address = forms.CharField(label=_("Street address"), required=False, max_length=500)
    region = forms.CharField(label=_("Region (optional)"), required=False, max_length=200)
    country = forms.ChoiceField(label=_("Country"), choices=list(COUNTRIES.items()), initial="RU")
    lat = forms.FloatField(
        required=False,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
        widget=forms.HiddenInput(attrs={"data-lat": ""}),
    )
    lon = forms.FloatField(
        required=False,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
        widget=forms.HiddenInput(attrs={"data-lon": ""}),
    )
    visibility = forms.ChoiceField(
        label=_("What the public sees"),
        choices=list(VISIBILITY_LABELS.items()),
        initial=m.Visibility.EXACT,
        widget=forms.RadioSelect,
    )
    timezone = forms.ChoiceField(label=_("Time zone"), required=False)
    phone = forms.CharField(label=_("Phone of this place"), required=False, max_length=40)
    accessibility = forms.CharField(
        label=_("Accessibility"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Step-free entrance, lift, sign language…"),
    )
    languages = forms.MultipleChoiceField(
        label=_("Languages spoken here"), required=False, choices=LANGUAGES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, *args: Any, current_timezone: str = "", current_languages: Sequence[str] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        zones = [("", _("From the town")), *((tz, tz) for tz in labels.TIMEZONES)]
        timezone_field = self.fields["timezone"]
        assert isinstance(timezone_field, forms.ChoiceField)
        timezone_field.choices = _choices_with(zones, [current_timezone])
        languages_field = self.fields["languages"]
        assert isinstance(languages_field, forms.ChoiceField)
        languages_field.choices = _choices_with(LANGUAGES, current_languages)
        self.add_hours_fields()

    def visibility_rows(self) -> list[tuple[Any, str]]:
        """Each visibility choice with what the public will see."""
        explained = visibility_help()
        return [(radio, explained[radio.data["value"]]) for radio in self["visibility"]]

    def clean_timezone(self) -> str:
        value = str(self.cleaned_data.get("timezone") or "")
        if value and value not in zoneinfo.available_timezones():
            raise ValidationError(_("Choose a time zone from the list."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["hours"] = self.clean_hours()
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None) and "lat" not in self.errors and "lon" not in self.errors:
            self.add_error("lat", LATLON_TOGETHER)
        return data

    def point(self) -> Point | None:
        lat, lon = self.cleaned_data.get("lat"), self.cleaned_data.get("lon")
        return None if lat is None or lon is None else Point(lon, lat, srid=4326)


class NewLocationForm(LocationForm):
    """A place in the registration form: where it is comes from a click on the
    map, or from a town (from the list, or typed and looked up)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        place_id = data.get("place")
        if place_id is not None and not m.Place.objects.filter(pk=place_id).exists():
            data["place"] = place_id = None
        if self.point() is None and place_id is None:
            if not data.get("city"):
                self.add_error("lat", NEEDS_POINT)
                return data
            # No script, or a town typed but not chosen from the list: look it up.
            place, _others = place_resolve(q=data["city"])
            if place is None:
                self.add_error("city", UNKNOWN_TOWN % {"q": data["city"]})
                return data
            data["place"] = place.pk
        if self.point() is None and data.get("visibility") == m.Visibility.EXACT:
            self.add_error("visibility", EXACT_NEEDS_POINT)
        return data

    def data_for_service(self) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {
            "kind": m.LocationKind.PHYSICAL,
            "visibility": d["visibility"],
            "address": d["address"],
            "region": d["region"],
            "country": d["country"],
            "name": d["name"],
            "phone": d["phone"],
            "accessibility": d["accessibility"],
            "languages": list(d["languages"]),
            "hours": d["hours"],
        }
        if d.get("city"):
            data["city"] = d["city"]
        if d.get("place") is not None:
            data["place"] = d["place"]
        point = self.point()
        if point is not None:
            data["lat"], data["lon"] = point.y, point.x
        timezone = d.get("timezone")
        if not timezone and point is not None and d.get("place") is None:
            # A point without a town: the nearest town tells the time zone.
            nearest = place_nearest(point=point)
            timezone = nearest.timezone if nearest is not None else ""
        if timezone:
            data["timezone"] = timezone
        return data


NewLocationFormSet = forms.formset_factory(NewLocationForm, extra=0, min_num=0, can_delete=True, max_num=20)


class LocationEditForm(LocationForm):
    """An existing location: position, address and visibility of a published
    listing wait for approval (orgs.services.location_update decides)."""

    @classmethod
    def for_location(cls, location: m.Location, data: Any = None) -> LocationEditForm:
        initial: dict[str, Any] = {
            name: getattr(location, name)
            for name in ("name", "city", "address", "region", "country", "visibility", "timezone", "phone")
        }
        initial["accessibility"] = location.accessibility
        initial["languages"] = list(location.languages)
        if location.point is not None:
            initial["lat"], initial["lon"] = location.point.y, location.point.x
        initial.update(cls.initial_hours(location))
        form = cls(
            data,
            initial=initial,
            current_timezone=location.timezone,
            current_languages=location.languages,
            prefix="loc",
        )
        form.physical = location.kind == m.LocationKind.PHYSICAL
        _keep_choice(form, "country", location.country)
        return form

    physical = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.physical and not self.errors and self.point() is None:
            self.add_error("lat", NEEDS_POINT)
        return data

    def changes(self) -> dict[str, Any]:
        d = self.cleaned_data
        changes: dict[str, Any] = {
            f: d[f] for f in ("name", "city", "address", "region", "country", "visibility", "phone", "accessibility")
        }
        changes["languages"] = list(d["languages"])
        if d.get("timezone"):
            changes["timezone"] = d["timezone"]
        point = self.point()
        if point is not None:
            changes["lat"], changes["lon"] = point.y, point.x
        if self.hours_changed():
            changes["hours"] = d["hours"]
        return changes


# --- a service -----------------------------------------------------------------------------


def category_choices() -> list[tuple[str, Any]]:
    """The taxonomy grouped by its top level: [(group, [(slug, name), …]), …]."""
    categories = list(m.Category.objects.all())
    children: dict[int | None, list[m.Category]] = {}
    for cat in categories:
        children.setdefault(cat.parent_id, []).append(cat)
    grouped: list[tuple[str, Any]] = []
    for root in children.get(None, []):
        kids = children.get(root.pk, [])
        if kids:
            grouped.append((localized(root, "name"), [(c.slug, localized(c, "name")) for c in kids]))
        else:
            grouped.append((root.slug, localized(root, "name")))
    return grouped


AREA_CHOICES = [
    (m.AreaKind.LOCATIONS, _("At its places only")),
    (m.AreaKind.CITY, _("A town")),
    (m.AreaKind.REGION, _("A region")),
    (m.AreaKind.COUNTRY, _("A whole country")),
    (m.AreaKind.RADIUS, _("A radius around its places")),
    (m.AreaKind.ANYWHERE, _("Anywhere (online or by phone)")),
]


class ServiceForm(PartnerForm):
    name = forms.CharField(label=_("Service"), max_length=300, help_text=_("e.g. Consultation with a psychologist"))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    categories = forms.MultipleChoiceField(
        label=_("Kind of help"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one kind of help.")},
    )
    target_groups = forms.MultipleChoiceField(label=_("For whom"), required=False, widget=forms.CheckboxSelectMultiple)
    formats = forms.MultipleChoiceField(
        label=_("How it is given"),
        choices=list(labels.FORMATS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose in person, online or by phone (one or more).")},
    )
    is_free = forms.TypedChoiceField(
        label=_("Cost"),
        choices=[("true", _("Free")), ("false", _("Paid"))],
        coerce=lambda v: v == "true",
        initial="true",
        widget=forms.RadioSelect,
    )
    min_age = forms.IntegerField(label=_("From age"), required=False, min_value=0, max_value=120)
    max_age = forms.IntegerField(label=_("To age"), required=False, min_value=0, max_value=120)
    eligibility = forms.CharField(
        label=_("Who can get it, conditions"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    phone = forms.CharField(label=_("Phone for this service"), required=False, max_length=40)
    email = forms.EmailField(label=_("E-mail for this service"), required=False)
    url = forms.URLField(label=_("Web page of this service"), required=False, max_length=200)
    area_kind = forms.ChoiceField(label=_("Where it is available"), choices=AREA_CHOICES, initial=m.AreaKind.LOCATIONS)
    area_country = forms.ChoiceField(
        label=_("Country covered"), required=False, choices=[("", "—"), *COUNTRIES.items()]
    )
    area_town = forms.CharField(
        label=_("Town covered (for a region: any town in it)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"data-place-input": "", "autocomplete": "off"}),
    )
    area_place = forms.IntegerField(required=False, widget=forms.HiddenInput(attrs={"data-place-id": ""}))
    area_radius_km = forms.IntegerField(label=_("Radius, km"), required=False, min_value=1, max_value=5000)
    locations = forms.MultipleChoiceField(label=_("Given at"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, location_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cats = self.fields["categories"]
        groups = self.fields["target_groups"]
        locs = self.fields["locations"]
        assert isinstance(cats, forms.ChoiceField)
        assert isinstance(groups, forms.ChoiceField)
        assert isinstance(locs, forms.ChoiceField)
        cats.choices = category_choices()
        groups.choices = [(t.slug, localized(t, "name")) for t in m.TargetGroup.objects.all()]
        locs.choices = list(location_choices)
        # Also when bound: an untouched extra form must compare equal to its initial.
        if "locations" not in self.initial:
            self.initial["locations"] = [value for value, _label in location_choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", AGES_ORDER)
        kind = data.get("area_kind")
        place = None
        if data.get("area_place") is not None:
            place = m.Place.objects.filter(pk=data["area_place"]).first()
        if place is None and data.get("area_town") and kind in (m.AreaKind.CITY, m.AreaKind.REGION):
            place, _others = place_resolve(q=data["area_town"])
        data["area_place"] = place.pk if place is not None else None
        if kind == m.AreaKind.COUNTRY and not data.get("area_country"):
            self.add_error("area_country", AREA_COUNTRY)
        elif kind == m.AreaKind.CITY and place is None:
            self.add_error("area_town", AREA_TOWN)
        elif kind == m.AreaKind.REGION and (place is None or not place.admin1_code):
            self.add_error("area_town", AREA_REGION)
        elif kind == m.AreaKind.RADIUS and not data.get("area_radius_km"):
            self.add_error("area_radius_km", AREA_RADIUS)
        data["area_region"] = place.region_code if kind == m.AreaKind.REGION and place is not None else ""
        return data

    def offers_presence(self) -> bool:
        """Given online or by phone: findable without a place."""
        return bool({m.ServiceFormat.ONLINE, m.ServiceFormat.PHONE} & set(self.cleaned_data.get("formats") or []))

    def data_for_service(
        self, *, editing: bool = False, location_index: dict[str, int] | None = None
    ) -> dict[str, Any]:
        d = self.cleaned_data
        kind = d["area_kind"]
        data: dict[str, Any] = {
            f: d[f] for f in ("name", "description", "eligibility", "phone", "email", "url", "is_free", "min_age")
        }
        data.update(
            max_age=d["max_age"],
            categories=list(d["categories"]),
            target_groups=list(d["target_groups"]),
            formats=list(d["formats"]),
            area_kind=kind,
            area_country=d["area_country"] if kind == m.AreaKind.COUNTRY else "",
            area_region=d["area_region"],
            area_radius_km=d["area_radius_km"] if kind == m.AreaKind.RADIUS else None,
        )
        place = d["area_place"] if kind == m.AreaKind.CITY else None
        if editing:
            # service_save applies model fields by name and skips "area_place"
            # when editing, so the town goes in by its column.
            data["area_place_id"] = place
        elif place is not None:
            data["area_place"] = place
        chosen = list(d["locations"])
        if location_index is None:
            data["locations"] = [int(v) for v in chosen]
        else:
            data["locations"] = [location_index[v] for v in chosen if v in location_index]
        return data

    @classmethod
    def initial_for(cls, service: m.Service, locations: Sequence[m.Location]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            f: getattr(service, f)
            for f in (
                "name",
                "description",
                "eligibility",
                "phone",
                "email",
                "url",
                "min_age",
                "max_age",
                "area_kind",
                "area_country",
                "area_radius_km",
            )
        }
        initial["is_free"] = "true" if service.is_free else "false"
        initial["formats"] = list(service.formats)
        initial["categories"] = [c.slug for c in service.categories.all()]
        initial["target_groups"] = [t.slug for t in service.target_groups.all()]
        at = {loc.pk for loc in service.locations.all()}
        initial["locations"] = [str(i) for i, loc in enumerate(locations) if loc.pk in at]
        if service.area_place is not None:
            initial["area_place"] = service.area_place.pk
            initial["area_town"] = str(service.area_place)
        elif service.area_region:
            place = (
                m.Place.objects.filter(
                    country_code=service.area_region.split(".")[0], admin1_code=service.area_region.partition(".")[2]
                )
                .order_by("-population")
                .first()
            )
            if place is not None:
                initial["area_place"], initial["area_town"] = place.pk, str(place)
        return initial


class BaseServiceFormSet(forms.BaseFormSet):
    def __init__(self, *args: Any, location_choices: Sequence[tuple[str, str]] = (), **kwargs: Any) -> None:
        self.location_choices = list(location_choices)
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        return {**super().get_form_kwargs(index), "location_choices": self.location_choices}


ServiceFormSet = cast(
    type[BaseServiceFormSet],
    forms.formset_factory(ServiceForm, formset=BaseServiceFormSet, extra=0, min_num=0, can_delete=True, max_num=30),
)


# --- coalitions ----------------------------------------------------------------------------


class NetworksForm(PartnerForm):
    """One choice per coalition: not applying, or the role applied for (only
    the roles that coalition grants)."""

    def __init__(self, *args: Any, networks: Iterable[m.Network] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.networks = list(networks)
        for net in self.networks:
            self.fields[f"net_{net.slug}"] = forms.ChoiceField(
                label=localized(net, "name"),
                required=False,
                choices=[("", _("Not applying")), *((r, labels.ROLES.get(r, r)) for r in net.roles)],
            )

    def rows(self) -> list[tuple[m.Network, forms.BoundField]]:
        return [(net, self[f"net_{net.slug}"]) for net in self.networks]

    def applications(self) -> list[dict[str, str]]:
        return [
            {"network": net.slug, "role": self.cleaned_data[f"net_{net.slug}"]}
            for net in self.networks
            if self.cleaned_data.get(f"net_{net.slug}")
        ]


# --- editors ----------------------------------------------------------------------------------


INVITATION_HELP = _(
    "They get a link valid for %(days)s days, and sign in (or create an account) with this address to accept it."
)


class InvitationForm(PartnerForm):
    email = forms.EmailField(label=_("E-mail of the person to invite"), max_length=254)

    def __init__(self, *args: Any, days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = INVITATION_HELP % {"days": days}


# --- moderation and claims ---------------------------------------------------------------------


class ClaimForm(PartnerForm):
    message = forms.CharField(
        label=_("Who you are and how we can check it"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("e.g. your position in the organisation and a phone number the moderator can call."),
    )
