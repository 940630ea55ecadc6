"""Adding and editing an organisation's services (they go live at once)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.partner.forms.services import ServiceForm
from frontend.partner.service_errors import attach_service_errors
from frontend.partner.shared import map_config, org_for
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


def _location_choices(locations: list[m.Location]) -> list[tuple[str, str]]:
    return [(str(i), str(loc)) for i, loc in enumerate(locations)]


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    service = get_object_or_404(m.Service, pk=pk, organisation=org) if pk is not None else None
    # service_save refers to locations by their index in this order.
    locations = list(org.locations.order_by("pk"))
    initial = ServiceForm.initial_for(service, locations) if service is not None else None
    form = ServiceForm(
        request.POST or None, initial=initial, prefix="svc", location_choices=_location_choices(locations)
    )
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.service_save(
                user=signed_in_user(request),
                organisation=org,
                data=form.data_for_service(editing=service is not None),
                service=service,
            )
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            messages.success(request, _("Saved. The service is live."))
            return redirect("frontend:partner:organisation", slug=org.slug)
    return render(
        request,
        "frontend/partner/service_edit.html",
        {
            "org": org,
            "service": service,
            "form": form,
            "errors": errors,
            "failed": request.method == "POST",
            **map_config(),
        },
        status=400 if request.method == "POST" else 200,
    )
