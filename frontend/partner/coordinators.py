"""Site moderators' page of coalitions' coordinators: each coalition with its
coordinators, appointing one by e-mail, removing one after a confirmation.
The rules and the e-mails are ``orgs.services.coordinators``'."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.partner.forms.coordinators import AppointForm
from frontend.partner.service_errors import attach_service_errors
from orgs import models as m
from orgs import permissions, services
from orgs.permissions import signed_in_user


def _require_site_moderator(request: HttpRequest) -> User:
    """Site moderators only; anyone else is told nothing is here (a 404), as a
    coordinator must not learn who coordinates the other coalitions."""
    user = signed_in_user(request)
    if not permissions.is_moderator(user):
        raise Http404
    return user


def _form(network: m.Network, data: Any = None) -> AppointForm:
    # One form per coalition, each with its own ids, so an error shows under the right one.
    return AppointForm(data, prefix=f"net-{network.slug}")


def _page(request: HttpRequest, failed: tuple[m.Network, AppointForm] | None = None) -> HttpResponse:
    networks = list(
        m.Network.objects.prefetch_related(
            Prefetch(
                "coordinators", queryset=m.NetworkCoordinator.objects.select_related("user").order_by("created_at")
            )
        ).order_by("name")
    )
    for network in networks:
        hit = failed is not None and failed[0].pk == network.pk
        network.appoint_form = failed[1] if failed is not None and hit else _form(network)  # type: ignore[attr-defined]
    return render(
        request,
        "frontend/partner/coordinators.html",
        {"networks": networks, "failed": failed is not None},
        status=400 if failed is not None else 200,
    )


@login_required
def coordinators(request: HttpRequest) -> HttpResponse:
    _require_site_moderator(request)
    return _page(request)


@login_required
def coordinator_appoint(request: HttpRequest, slug: str) -> HttpResponse:
    # Who asks comes before how: to anyone but a site moderator this URL is a
    # 404 whatever the method, as the page is.
    user = _require_site_moderator(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    network = get_object_or_404(m.Network, slug=slug)
    form = _form(network, request.POST)
    if not form.is_valid():
        return _page(request, (network, form))
    try:
        coordinator = services.coordinator_appoint(
            by=user, network=network, email=form.cleaned_data["email"], base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        attach_service_errors(exc, main=form)
        return _page(request, (network, form))
    messages.success(
        request,
        _("%(email)s now coordinates %(network)s, and is told by e-mail.")
        % {"email": coordinator.user.email or coordinator.user.username, "network": network.name},
    )
    return redirect("frontend:partner:coordinators")


@login_required
@require_http_methods(["GET", "POST"])
def coordinator_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks first (GET), removes on the confirmation (POST)."""
    user = _require_site_moderator(request)
    coordinator = get_object_or_404(m.NetworkCoordinator.objects.select_related("network", "user"), pk=pk)
    if request.method == "GET":
        return render(request, "frontend/partner/coordinator_remove.html", {"coordinator": coordinator})
    services.coordinator_remove(by=user, coordinator=coordinator, base_url=request.build_absolute_uri("/"))
    messages.success(
        request,
        _("%(email)s no longer coordinates %(network)s, and is told by e-mail.")
        % {"email": coordinator.user.email or coordinator.user.username, "network": coordinator.network.name},
    )
    return redirect("frontend:partner:coordinators")
