"""A rejected listing sent for checking again, and a visitor's correction marked as dealt with."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from frontend.partner.service_errors import messages_of
from frontend.partner.shared import org_for
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user
from orgs.services.corrections import can_resolve


@login_required
@require_POST
def resubmit(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    try:
        services.organisation_resubmit(
            user=signed_in_user(request), organisation=org, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        for text in messages_of(exc):
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("“%(name)s” is sent for checking again. You will be told the decision by e-mail.") % {"name": org.name},
        )
    return redirect("frontend:partner:organisation", slug=org.slug)


@login_required
@require_POST
def correction_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    correction = m.Correction.objects.select_related("organisation").filter(pk=pk).first()
    # Someone else's correction is as absent as a missing one.
    if correction is None or not can_resolve(user, correction):
        raise Http404
    services.correction_resolve(user=user, correction=correction)
    messages.success(request, _("The suggestion is marked as dealt with."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        return redirect(back)
    return redirect("frontend:partner:organisation", slug=correction.organisation.slug)
