"""Appointing a coalition's coordinator by the e-mail of their account."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from frontend.partner.forms.common import PartnerForm


class AppointForm(PartnerForm):
    email = forms.EmailField(
        label=_("E-mail of the person's account"),
        max_length=254,
        help_text=_("They must already have an account on the site. They are told by e-mail."),
    )
