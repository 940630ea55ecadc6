"""The organisation's own fields, its registry numbers of other countries, and
the "this is us" claim."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _

from frontend import labels
from frontend.partner.forms.common import COUNTRIES, PartnerForm, keep_choice
from orgs import models as m
from orgs.validators import validate_inn, validate_ogrn

# Identifier schemes of other countries, offered as suggestions (free text).
IDENTIFIER_SCHEMES = ("KZ-BIN", "UA-EDR", "BY-UNP", "KG-INN", "UZ-INN", "TJ-INN", "AM-TIN", "GE-ID", "MD-IDNO")


def _digits(value: str) -> str:
    # People copy identifiers with spaces from registry extracts.
    return "".join(value.split())


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
        keep_choice(form, "country", org.country)
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


class ClaimForm(PartnerForm):
    message = forms.CharField(
        label=_("Who you are and how we can check it"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("e.g. your position in the organisation and a phone number the moderator can call."),
    )
