"""A service: what help it gives, to whom, and where it is available."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from frontend import labels
from frontend.partner.forms.common import COUNTRIES, PartnerForm
from frontend.templatetags.frontend_tags import localized
from orgs import models as m
from orgs.gazetteer import place_resolve

AGES_ORDER = _("The lowest age is above the highest: swap them.")
AREA_COUNTRY = _("Choose the country the service covers.")
AREA_TOWN = _("Choose a town from the list.")
AREA_REGION = _("Choose any town of the region from the list: the service covers its whole region.")
AREA_RADIUS = _("Give the radius in kilometres.")
NO_PRESENCE = _(
    "People must be able to find you: add a place, or a service given online or by phone. "
    "A listing without either cannot be published."
)


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
