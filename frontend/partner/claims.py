"""A partner asks to manage a listing that is already in the directory ("this is us")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.partner.forms.organisation import ClaimForm
from frontend.partner.service_errors import attach_service_errors
from orgs import lookups, services
from orgs.permissions import signed_in_user


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    org = lookups.visible_organisation(request.user, slug)
    form = ClaimForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_create(
                user=signed_in_user(request),
                organisation=org,
                message=form.cleaned_data["message"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            messages.success(
                request,
                _("Your request to manage “%(name)s” is sent. A moderator will check it and tell you by e-mail.")
                % {"name": org.name},
            )
            return redirect("frontend:partner:dashboard")
    return render(
        request,
        "frontend/partner/claim.html",
        {"org": org, "form": form, "errors": errors, "failed": request.method == "POST"},
        status=400 if request.method == "POST" else 200,
    )
