"""One organisation: its partner page with the history of its versions, the
edit form, restoring an old version, and confirming the listing is accurate
(from the page, or from the reminder e-mail's link)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseFormSet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from frontend.partner import history
from frontend.partner.changes import change_rows
from frontend.partner.forms.locations import VISIBILITY_LABELS
from frontend.partner.forms.memberships import NetworksForm
from frontend.partner.forms.organisation import (
    IDENTIFIER_SCHEMES,
    IdentifierFormSet,
    OrganisationForm,
    identifier_initial,
    kept_identifier_forms,
)
from frontend.partner.service_errors import attach_service_errors
from frontend.partner.shared import org_for, say_saved, with_one_more
from orgs import lookups, permissions, services
from orgs import models as m
from orgs.corrections import corrections_of
from orgs.permissions import signed_in_user


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_for(request, slug, edit=False)
    user = signed_in_user(request)
    can_edit = permissions.can_edit_organisation(user, org)
    memberships = list(org.memberships.select_related("network").order_by("network__name"))
    for ms in memberships:
        # An application (made at registration, say) whose coalition's conditions are not answered yet.
        ms.asks_answers = bool(  # type: ignore[attr-defined]
            can_edit
            and ms.network.eligibility
            and ms.status == m.MembershipStatus.APPLIED
            and ms.role in (m.MembershipRole.MEMBER, m.MembershipRole.CANDIDATE)
            and not ms.answers
        )
    open_networks = m.Network.objects.exclude(pk__in=[ms.network_id for ms in memberships]).order_by("name")
    return render(
        request,
        "frontend/partner/organisation.html",
        {
            "org": org,
            "can_edit": can_edit,
            "can_moderate": permissions.can_decide_organisation(user, org),
            "changes": change_rows(
                org.change_requests.filter(status=m.Decision.PENDING).select_related("location").order_by("created_at")
            ),
            "locations": list(org.locations.prefetch_related("hours").order_by("pk")),
            "services": list(org.services.prefetch_related("categories", "target_groups").order_by("pk")),
            "memberships": memberships,
            "apply_form": NetworksForm(prefix="net", networks=open_networks) if can_edit else None,
            "history": history.timeline(org),
            "people": list(org.access.select_related("user").order_by("created_at")),
            "can_manage_editors": permissions.can_manage_editors(user, org),
            "identifiers": list(org.identifiers.all()),
            "visibility_labels": VISIBILITY_LABELS,
            "corrections": list(corrections_of(org))
            if can_edit or permissions.can_decide_organisation(user, org)
            else [],
        },
    )


def _identifier_formset(org: m.Organisation, data: QueryDict | None) -> BaseFormSet | None:
    """The other registry identifiers on the edit page; None when a submission
    has none of them (it then leaves them as they are)."""
    initial = identifier_initial(org)
    if data is None:
        formset = IdentifierFormSet(prefix="ident", initial=initial)
        formset.extra = 0 if initial else 1
        return formset
    if "ident-TOTAL_FORMS" not in data:
        return None
    return IdentifierFormSet(data, prefix="ident", initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    adding = request.method == "POST" and request.POST.get("add") == "ident"
    data = None if request.method != "POST" else with_one_more(request.POST, "ident") if adding else request.POST
    form = OrganisationForm.for_organisation(org, data)
    identifiers = _identifier_formset(org, data)
    errors: list[str] = []
    if request.method == "POST" and not adding:
        valid = [form.is_valid(), identifiers is None or identifiers.is_valid()]
        if all(valid):
            changes = form.changes()
            kept = kept_identifier_forms(identifiers) if identifiers is not None else []
            if identifiers is not None:
                changes["identifiers"] = [f.data_for_service() for f in kept]
            try:
                change = services.organisation_update(user=signed_in_user(request), organisation=org, changes=changes)
            except ValidationError as exc:
                errors = attach_service_errors(exc, main=form, nested={"identifiers": list(kept)})
            else:
                say_saved(request, change)
                return redirect("frontend:partner:organisation", slug=org.slug)
    failed = request.method == "POST" and not adding
    return render(
        request,
        "frontend/partner/organisation_edit.html",
        {
            "org": org,
            "form": form,
            "identifiers": identifiers,
            "identifier_schemes": IDENTIFIER_SCHEMES,
            "waits": services.waits_for_approval(signed_in_user(request), org),
            "errors": errors,
            "failed": failed,
        },
        status=400 if failed else 200,
    )


@login_required
@require_POST
def confirm_accurate(request: HttpRequest, slug: str) -> HttpResponse:
    org = lookups.visible_organisation(request.user, slug)
    services.organisation_confirm_accurate(organisation=org, user=signed_in_user(request))
    messages.success(request, _("Thank you: the listing is marked as checked today."))
    if request.POST.get("next") == "dashboard":
        return redirect("frontend:partner:dashboard")
    return redirect("frontend:partner:organisation", slug=org.slug)


@login_required
@require_POST
def restore(request: HttpRequest, slug: str) -> HttpResponse:
    org = org_for(request, slug, edit=True)
    try:
        history_id = int(request.POST.get("history_id", ""))
        before = org.change_requests.filter(status=m.Decision.PENDING).count()
        services.organisation_restore(user=signed_in_user(request), organisation=org, history_id=history_id)
    except (ValueError, ValidationError):
        messages.error(request, str(services.UNKNOWN_VERSION))
    else:
        if org.change_requests.filter(status=m.Decision.PENDING).count() > before:
            say_saved(request, org.change_requests.filter(status=m.Decision.PENDING).last())
        else:
            messages.success(request, _("The version is restored."))
    return redirect("frontend:partner:organisation", slug=org.slug)


# --- the reminder e-mail's link -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def verify_link(request: HttpRequest, slug: str) -> HttpResponse:
    """The link in the reminder e-mail. Opening it shows the question; the
    button answers it (a mail scanner that opens links must not confirm)."""
    # Reminders go to published listings only; no other listing is named here.
    org = get_object_or_404(m.Organisation, slug=slug, status=m.PublicationStatus.PUBLISHED)
    token = request.POST.get("token") or request.GET.get("token", "")
    if request.method == "POST":
        try:
            services.organisation_confirm_accurate(organisation=org, token=token)
        except PermissionDenied as exc:
            return render(
                request, "frontend/partner/verify.html", {"org": org, "error": str(exc), "token": ""}, status=403
            )
        return render(request, "frontend/partner/verify.html", {"org": org, "done": True})
    return render(request, "frontend/partner/verify.html", {"org": org, "token": token})
