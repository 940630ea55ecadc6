"""Registering an organisation: its places, services, registry numbers and
coalition applications in one form, saved by one atomic service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.partner.forms.locations import NewLocationFormSet
from frontend.partner.forms.memberships import NetworksForm
from frontend.partner.forms.organisation import IDENTIFIER_SCHEMES, IdentifierFormSet, OrganisationForm
from frontend.partner.forms.services import BaseServiceFormSet, ServiceFormSet
from frontend.partner.service_errors import attach_service_errors, messages_of
from frontend.partner.shared import map_config, with_one_more
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


@dataclass
class RegistrationForms:
    org: OrganisationForm
    identifiers: BaseFormSet
    locations: BaseFormSet
    services: BaseServiceFormSet
    networks: NetworksForm
    page_errors: list[str] = field(default_factory=list)

    def all_valid(self) -> bool:
        results = [
            self.org.is_valid(),
            self.identifiers.is_valid(),
            self.locations.is_valid(),
            self.services.is_valid(),
            self.networks.is_valid(),
        ]
        return all(results)


def _filled(formset: BaseFormSet) -> list[Any]:
    """The forms the user filled in and did not remove, in order."""
    deleted = formset.deleted_forms if formset.can_delete else []
    return [f for f in formset.forms if f.has_changed() and f not in deleted]


def _registration_forms(data: QueryDict | None) -> RegistrationForms:
    networks = list(m.Network.objects.order_by("name"))
    locations = NewLocationFormSet(data, prefix="loc") if data is not None else _unbound(NewLocationFormSet, "loc")
    location_choices = [(str(i), _("Place %(n)s") % {"n": i + 1}) for i in range(locations.total_form_count())]
    if data is not None:
        service_fs = ServiceFormSet(data, prefix="svc", location_choices=location_choices)
        identifiers = IdentifierFormSet(data, prefix="ident")
    else:
        service_fs = ServiceFormSet(prefix="svc", location_choices=location_choices)
        service_fs.extra = 1
        identifiers = IdentifierFormSet(prefix="ident")
    return RegistrationForms(
        org=OrganisationForm(data, prefix="org"),
        identifiers=identifiers,
        locations=locations,
        services=service_fs,
        networks=NetworksForm(data, prefix="net", networks=networks),
    )


def _unbound(formset_class: Any, prefix: str) -> Any:
    formset = formset_class(prefix=prefix)
    formset.extra = 1
    return formset


def _registration_data(forms_: RegistrationForms) -> tuple[dict[str, Any], list[Any], list[Any], list[Any]]:
    locations = _filled(forms_.locations)
    location_index = {str(forms_.locations.forms.index(f)): i for i, f in enumerate(locations)}
    service_forms = _filled(forms_.services)
    identifier_forms = _filled(forms_.identifiers)
    org = forms_.org.cleaned_data
    data: dict[str, Any] = {k: v for k, v in org.items() if k not in ("ogrn", "inn")}
    data["ogrn"] = org["ogrn"] or None
    data["inn"] = org["inn"] or None
    data["identifiers"] = [f.data_for_service() for f in identifier_forms]
    data["locations"] = [f.data_for_service() for f in locations]
    data["services"] = [f.data_for_service(location_index=location_index) for f in service_forms]
    data["networks"] = forms_.networks.applications()
    return data, identifier_forms, locations, service_forms


@login_required
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    duplicates: list[services.Duplicate] = []
    overridable = False
    duplicate_message = ""
    if request.method != "POST":
        forms_ = _registration_forms(None)
    elif add := request.POST.get("add"):
        prefix = add if add in ("loc", "svc", "ident") else "loc"
        forms_ = _registration_forms(with_one_more(request.POST, prefix))
    else:
        forms_ = _registration_forms(request.POST)
        if forms_.all_valid():
            data, identifier_forms, location_forms, service_forms = _registration_data(forms_)
            # The services say whether a listing could be found (a place, or a
            # service given online or by phone); their message goes at the top.
            try:
                org = services.organisation_register(
                    user=user, data=data, confirm_not_duplicate=request.POST.get("confirm_not_duplicate") == "1"
                )
            except services.DuplicateSuspected as exc:
                duplicates, overridable = exc.duplicates, exc.overridable
                duplicate_message = messages_of(exc)[0]
            except ValidationError as exc:
                forms_.page_errors += attach_service_errors(
                    exc,
                    main=forms_.org,
                    nested={
                        "locations": location_forms,
                        "services": service_forms,
                        "identifiers": identifier_forms,
                    },
                    fallback=forms_.networks,
                )
            else:
                messages.success(
                    request,
                    _("“%(name)s” is registered. It will appear in the directory once a moderator approves it.")
                    % {"name": org.name},
                )
                return redirect("frontend:partner:organisation", slug=org.slug)
    failed = request.method == "POST" and not request.POST.get("add")
    return render(
        request,
        "frontend/partner/register.html",
        {
            "f": forms_,
            "failed": failed and not duplicates,
            "duplicates": duplicates,
            "overridable": overridable,
            "duplicate_message": duplicate_message,
            "identifier_schemes": IDENTIFIER_SCHEMES,
            **map_config(),
        },
        status=400 if failed else 200,
    )
