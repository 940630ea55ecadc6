"""Who edits a listing: an owner invites by e-mail, the invited person
accepts from the link, an owner removes an editor or an editor leaves."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from frontend.partner.forms.editors import InvitationForm
from frontend.partner.service_errors import attach_service_errors, messages_of
from frontend.partner.shared import org_for, org_for_owner
from orgs import models as m
from orgs import services
from orgs.permissions import signed_in_user


@login_required
@require_http_methods(["GET", "POST"])
def editors(request: HttpRequest, slug: str) -> HttpResponse:
    """Who edits the listing, the invitations waiting, and the form to invite."""
    org = org_for_owner(request, slug)
    user = signed_in_user(request)
    days = services.INVITATION_MAX_AGE.days
    form = InvitationForm(request.POST if request.method == "POST" else None, days=days)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                user=user,
                organisation=org,
                email=form.cleaned_data["email"],
                accept_url=request.build_absolute_uri(reverse("frontend:partner:invitation")),
            )
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            messages.success(
                request,
                _("The invitation is sent to %(email)s. The link is valid for %(days)s days.")
                % {"email": invitation.email, "days": days},
            )
            return redirect("frontend:partner:editors", slug=org.slug)
    return render(
        request,
        "frontend/partner/editors.html",
        {
            "org": org,
            "form": form,
            "people": list(org.access.select_related("user").order_by("created_at")),
            "invitations": list(
                org.invitations.filter(status=m.EditorInvitationStatus.PENDING, expires_at__gt=timezone.now()).order_by(
                    "created_at"
                )
            ),
            "errors": errors,
            "failed": request.method == "POST",
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def editor_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """An owner or a moderator removes an editor; an editor may leave."""
    org = org_for(request, slug, edit=True)
    user = signed_in_user(request)
    access = get_object_or_404(m.OrganisationAccess.objects.select_related("user"), pk=pk, organisation=org)
    leaving = access.user_id == user.pk
    try:
        services.editor_remove(user=user, access=access)
    except ValidationError as exc:
        for msg in messages_of(exc):
            messages.error(request, msg)
        return redirect("frontend:partner:organisation", slug=org.slug)
    if leaving:
        messages.success(request, _("You no longer edit “%(name)s”.") % {"name": org.name})
        return redirect("frontend:partner:dashboard")
    who = access.user.email or access.user.get_username()
    messages.success(request, _("%(who)s can no longer edit the listing.") % {"who": who})
    return redirect("frontend:partner:editors", slug=org.slug)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    org = org_for_owner(request, slug)
    invitation = get_object_or_404(m.OrganisationInvitation, pk=pk, organisation=org)
    try:
        services.invitation_revoke(user=signed_in_user(request), invitation=invitation)
    except ValidationError as exc:
        for msg in messages_of(exc):
            messages.error(request, msg)
    else:
        messages.success(request, _("The invitation to %(email)s is withdrawn.") % {"email": invitation.email})
    return redirect("frontend:partner:editors", slug=org.slug)


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest) -> HttpResponse:
    """The e-mailed link. Opening it shows the invitation (and, to someone
    signed out, how to sign in with the invited address); the button accepts
    it, so a mail scanner that opens links accepts nothing."""
    token = request.POST.get("token") or request.GET.get("token", "")
    page = "frontend/partner/invitation.html"
    try:
        found = services.invitation_from_token(token)
    except ValidationError as exc:
        return render(request, page, {"error": messages_of(exc)[0]}, status=400)
    context: dict[str, Any] = {"invitation": found, "token": token}
    if not request.user.is_authenticated:
        back = f"{reverse('frontend:partner:invitation')}?{urlencode({'token': token})}"
        context["login_url"] = f"{reverse('frontend:login')}?{urlencode({'next': back})}"
        return render(request, page, context)
    if request.method == "POST":
        try:
            access = services.invitation_accept(user=signed_in_user(request), token=token)
        except ValidationError as exc:
            return render(request, page, {"error": messages_of(exc)[0]}, status=400)
        except PermissionDenied as exc:
            return render(request, page, {**context, "error": str(exc)}, status=403)
        messages.success(
            request,
            _("Welcome: you can now edit “%(name)s”.") % {"name": access.organisation.name},
        )
        return redirect("frontend:partner:organisation", slug=access.organisation.slug)
    return render(request, page, context)
