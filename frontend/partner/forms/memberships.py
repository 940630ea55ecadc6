"""Applications to coalitions (at registration and from the organisation's page)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from frontend import labels
from frontend.partner.forms.common import PartnerForm
from frontend.templatetags.frontend_tags import localized
from orgs import models as m


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

            # The coalition's conditions for members: the applicant answers
            # each (ticked: it meets it); a coordinator confirms the answers.
            for item in net.eligibility if self.with_checklist else []:
                self.fields[f"elig_{net.slug}_{item['key']}"] = forms.BooleanField(label=item["text"], required=False)

    with_checklist = True

    def rows(self) -> list[tuple[m.Network, forms.BoundField]]:
        return [(net, self[f"net_{net.slug}"]) for net in self.networks]

    def checklists(self) -> list[tuple[m.Network, forms.BoundField, list[forms.BoundField]]]:
        """Each coalition's choice with its conditions (none where it sets none)."""
        return [
            (net, self[f"net_{net.slug}"], [self[f"elig_{net.slug}_{i['key']}"] for i in net.eligibility])
            for net in self.networks
        ]

    def applications(self) -> list[dict[str, Any]]:
        return [
            {
                "network": net.slug,
                "role": self.cleaned_data[f"net_{net.slug}"],
                "answers": {
                    i["key"]: bool(self.cleaned_data.get(f"elig_{net.slug}_{i['key']}")) for i in net.eligibility
                }
                if net.eligibility and self.cleaned_data[f"net_{net.slug}"] in ("member", "candidate")
                else None,
            }
            for net in self.networks
            if self.cleaned_data.get(f"net_{net.slug}")
        ]
