"""What every partner form shares: the base form that lays each field out in
one box, the countries and languages offered, and keeping a stored value
that is no longer among the choices."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, cast

from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

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


def keep_choice(form: forms.Form, name: str, current: str) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices_with(list(cast(Iterable[tuple[str, Any]], field.choices)), [current])


def choices_with(choices: Sequence[tuple[str, Any]], current: Iterable[str]) -> list[tuple[str, Any]]:
    """The choices plus any current value not among them, so an edit never drops it."""
    known = {value for value, _label in choices}
    return [*choices, *((value, value) for value in current if value and value not in known)]


FIELD_TEMPLATE = "frontend/partner/_field.html"


class PartnerRenderer(DjangoTemplates):
    field_template_name = FIELD_TEMPLATE


class PartnerForm(forms.Form):
    """Each field's label, help, errors and input in one box (the pages lay fields out in a grid)."""

    default_renderer = PartnerRenderer
