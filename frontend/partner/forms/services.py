"""A service: what help it gives, to whom, and where it is available."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from frontend import labels
from frontend.partner.forms.common import COUNTRIES, PartnerForm
from frontend.partner.service_errors import FIELD_ALIASES
from frontend.templatetags.frontend_tags import localized
from orgs import models as m
from orgs.gazetteer import place_resolve


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


def _model_fields(d: dict[str, Any]) -> dict[str, Any]:
    """The ages and the area as the service is given them: only the area
    fields the chosen kind uses, the others empty."""
    kind = d.get("area_kind")
    return {
        "min_age": d.get("min_age"),
        "max_age": d.get("max_age"),
        "area_kind": kind,
        "area_country": d.get("area_country", "") if kind == m.AreaKind.COUNTRY else "",
        "area_region": d.get("area_region", ""),
        "area_radius_km": d.get("area_radius_km") if kind == m.AreaKind.RADIUS else None,
        "area_place_id": d.get("area_place") if kind == m.AreaKind.CITY else None,
    }


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
        kind = data.get("area_kind")
        place = None
        if data.get("area_place") is not None:
            place = m.Place.objects.filter(pk=data["area_place"]).first()
        if place is None and data.get("area_town") and kind in (m.AreaKind.CITY, m.AreaKind.REGION):
            place, _others = place_resolve(q=data["area_town"])
        data["area_place"] = place.pk if place is not None else None
        # The region is the chosen town's; a town outside any region gives none,
        # and the model then asks for one.
        region_town = place if kind == m.AreaKind.REGION and place is not None and place.admin1_code else None
        data["area_region"] = region_town.region_code if region_town is not None else ""
        self._check_with_model(data)
        return data

    def _check_with_model(self, data: dict[str, Any]) -> None:
        """The model's own rules (ages in order, the area its kind needs), asked
        here so their messages show at once with the form's, beside the input
        to fix. service_save asks them again when it saves; they are written
        only in ``Service.clean``."""
        try:
            m.Service(**_model_fields(data)).clean()
        except ValidationError as exc:
            for name, msgs in exc.message_dict.items():
                target = FIELD_ALIASES.get(name, name)
                if target not in self.fields:
                    self.add_error(None, msgs)
                elif target not in self.errors:  # a field's own error says it first
                    self.add_error(target, msgs)

    def data_for_service(
        self, *, editing: bool = False, location_index: dict[str, int] | None = None
    ) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {
            f: d[f] for f in ("name", "description", "eligibility", "phone", "email", "url", "is_free")
        }
        data.update(
            categories=list(d["categories"]),
            target_groups=list(d["target_groups"]),
            formats=list(d["formats"]),
            **_model_fields(d),
        )
        place = data.pop("area_place_id")
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
