"""A place: where it is (a click on the map or a town), what the public sees
of it, and its opening hours."""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from frontend import labels
from frontend.partner.forms.common import COUNTRIES, LANGUAGES, PartnerForm, choices_with, keep_choice
from orgs import models as m
from orgs.gazetteer import place_nearest, place_resolve

LATLON_TOGETHER = _("The point was not recorded completely: click the map again.")
NEEDS_POINT = _("Click the map to mark the place, or choose its town from the list.")
UNKNOWN_TOWN = _("We do not know a town called “%(q)s”. Check the spelling or choose one from the list.")
EXACT_NEEDS_POINT = _(
    "With “exact” visibility the public sees the point, so mark the place on the map, "
    "or choose “city only” to show just the town."
)
HOURS_BOTH = _("Give both the opening and the closing time, or neither.")
HOURS_EMPTY = _("Opening and closing times are the same: for a day and night service, use 00:00 and 23:59.")


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
        timezone_field.choices = choices_with(zones, [current_timezone])
        languages_field = self.fields["languages"]
        assert isinstance(languages_field, forms.ChoiceField)
        languages_field.choices = choices_with(LANGUAGES, current_languages)
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
        keep_choice(form, "country", location.country)
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
