"""The admin's forms: each checks on the field a person fills in what the
database would otherwise refuse by a constraint name.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from orgs.models import (
    AreaKind,
    Category,
    MembershipRole,
    Network,
    OpeningHours,
    Service,
    ServiceFormat,
)

CATEGORY_CYCLE_ERROR = _("A category cannot be placed inside itself or inside one of its own subcategories.")
AREA_FIELD_REQUIRED = _("Required for this kind of service area.")
AREA_REGION_INVALID = _("Use the GeoNames region code: country and region, e.g. RU.60 for Pskov Oblast.")

WEEKDAY_CHOICES = list(WEEKDAYS.items())  # 0 = Monday, as OpeningHours.weekday


class OpeningHoursForm(forms.ModelForm):
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int)

    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


# As the service_area_complete constraint and Place.region_code spell it: "RU.60".
AREA_REGION_CODE = re.compile(r"[A-Z]{2}\.[A-Za-z0-9]+")
AREA_FIELDS: dict[str, str] = {
    AreaKind.COUNTRY: "area_country",
    AreaKind.REGION: "area_region",
    AreaKind.CITY: "area_place",
    AreaKind.RADIUS: "area_radius_km",
    AreaKind.POLYGON: "area_polygon",
}


class ServiceForm(forms.ModelForm):
    formats = forms.MultipleChoiceField(choices=ServiceFormat.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Service
        # The fields this form handles itself; the admin adds the rest from its fieldsets.
        fields = ["formats", "area_kind", *AREA_FIELDS.values()]

    def clean(self) -> dict[str, Any]:
        # The same rule as the service_area_complete constraint, reported on the
        # field to fill in rather than as a constraint name.
        cleaned = super().clean() or {}
        field = AREA_FIELDS.get(cleaned.get("area_kind") or "")
        if field and field in self.fields and field not in self.errors and not cleaned.get(field):
            self.add_error(field, forms.ValidationError(AREA_FIELD_REQUIRED, code="area_required"))
        region = cleaned.get("area_region")
        if (
            cleaned.get("area_kind") == AreaKind.REGION
            and region
            and "area_region" not in self.errors
            and not AREA_REGION_CODE.fullmatch(region)
        ):
            self.add_error("area_region", forms.ValidationError(AREA_REGION_INVALID, code="area_region"))
        return cleaned


class NetworkForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(choices=MembershipRole.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Network
        fields = ["roles"]  # the admin adds the rest from its fieldsets


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ["parent"]  # the admin adds the rest from its fields

    def clean_parent(self) -> Category | None:
        parent: Category | None = self.cleaned_data.get("parent")
        if self.instance.pk is None:
            return parent
        node, seen = parent, set()
        while node is not None and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise forms.ValidationError(CATEGORY_CYCLE_ERROR, code="category_cycle")
            seen.add(node.pk)
            node = node.parent
        return parent
