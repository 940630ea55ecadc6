"""Adding, editing and removing an organisation's places. On a published
listing, what moves a place waits for a moderator (the services decide)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from frontend.partner.forms.locations import LocationEditForm, NewLocationForm
from frontend.partner.service_errors import attach_service_errors, messages_of
from frontend.partner.shared import map_config, org_for, say_saved
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


@login_required
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    location = get_object_or_404(m.Location.objects.prefetch_related("hours"), pk=pk, organisation=org)
    form = LocationEditForm.for_location(location, request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            change = services.location_update(user=signed_in_user(request), location=location, changes=form.changes())
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            say_saved(request, change)
            return redirect("frontend:partner:organisation", slug=org.slug)
    return render(
        request,
        "frontend/partner/location_edit.html",
        {
            "org": org,
            "location": location,
            "form": form,
            "errors": errors,
            "failed": request.method == "POST",
            **map_config(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def location_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a place: live at once, or (a published listing, not a moderator) sent for approval."""
    org = org_for(request, slug, edit=True)
    user = signed_in_user(request)
    form = NewLocationForm(request.POST if request.method == "POST" else None, prefix="loc")
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.location_add(user=user, organisation=org, data=form.data_for_service())
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            if isinstance(result, m.ChangeRequest):
                messages.info(
                    request,
                    _("Sent for approval: the new place appears in the directory once a moderator approves it."),
                )
            else:
                messages.success(request, _("Saved. The place is added."))
            return redirect("frontend:partner:organisation", slug=org.slug)
    return render(
        request,
        "frontend/partner/location_new.html",
        {
            "org": org,
            "form": form,
            "n": org.locations.count() + 1,
            "waits": services.waits_for_approval(user, org),
            "errors": errors,
            "failed": request.method == "POST",
            **map_config(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def location_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Asks first (GET); the button removes the place or sends the removal for approval."""
    org = org_for(request, slug, edit=True)
    user = signed_in_user(request)
    location = get_object_or_404(m.Location, pk=pk, organisation=org)
    errors: list[str] = []
    if request.method == "POST":
        try:
            change = services.location_remove(user=user, location=location)
        except ValidationError as exc:
            errors = messages_of(exc)
        else:
            if change is None:
                messages.success(request, _("The place “%(place)s” is removed.") % {"place": location})
            else:
                messages.info(
                    request,
                    _("Sent for approval: the place stays in the directory until a moderator approves its removal."),
                )
            return redirect("frontend:partner:organisation", slug=org.slug)
    return render(
        request,
        "frontend/partner/location_remove.html",
        {"org": org, "location": location, "waits": services.waits_for_approval(user, org), "errors": errors},
        status=400 if errors else 200,
    )
