"""Inviting a person to edit a listing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontend.partner.forms.common import PartnerForm

INVITATION_HELP = _(
    "They get a link valid for %(days)s days, and sign in (or create an account) with this address to accept it."
)


class InvitationForm(PartnerForm):
    email = forms.EmailField(label=_("E-mail of the person to invite"), max_length=254)

    def __init__(self, *args: Any, days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = INVITATION_HELP % {"days": days}
