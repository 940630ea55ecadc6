"""A coalition's data quality page: its active members with what each listing
lacks, and a one-click reminder to the owners. For the coalition's
coordinators and site moderators; a 404 to anyone else. The rules are in
``orgs.quality`` (gaps) and ``orgs.services.quality`` (the reminder)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orgs import models as m
from orgs import quality
from orgs.permissions import signed_in_user
from orgs.services import quality as quality_services


def _network_for(request: HttpRequest, slug: str) -> m.Network:
    user = signed_in_user(request)
    network = quality.coordinated_networks(user).filter(slug=slug).first()
    if network is None:
        raise Http404
    return network


@login_required
def network_quality(request: HttpRequest, slug: str) -> HttpResponse:
    network = _network_for(request, slug)
    rows = quality.network_quality(network)
    return render(
        request,
        "frontend/partner/quality.html",
        {
            "network": network,
            "rows": rows,
            "complete": sum(1 for row in rows if not row.gaps),
            "gaps": quality.GAPS,
        },
    )


@login_required
@require_POST
def quality_remind(request: HttpRequest, slug: str, org_slug: str) -> HttpResponse:
    network = _network_for(request, slug)
    organisation = get_object_or_404(m.Organisation, slug=org_slug)
    try:
        quality_services.quality_reminder_send(
            by=signed_in_user(request),
            network=network,
            organisation=organisation,
            base_url=request.build_absolute_uri("/"),
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The owners of “%(name)s” are reminded by e-mail.") % {"name": organisation.name})
    return redirect("frontend:partner:quality", slug=network.slug)
