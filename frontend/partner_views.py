"""Pages for partners, coalition coordinators and moderators.

Thin views: a form checks what was typed, one service in orgs.services does
the write (and checks the permission, and decides what waits for approval),
and a ``ValidationError`` from the service is put back on the field it names,
so a failed submission shows every message beside what the user typed. The
services are atomic: a refused registration leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.forms import BaseFormSet, Form
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from frontend import labels
from frontend import partner_forms as pf
from frontend.maps import LEAFLET_VERSION
from orgs import lookups, permissions, services
from orgs import models as m
from orgs.moderation import moderation_queue
from orgs.permissions import signed_in_user

HISTORY_SHOWN = 50

# A service error names a nested field ("locations.0.point"); these fields are
# shown under another input of the form.
FIELD_ALIASES = {"point": "lat", "place": "city", "area_place": "area_town", "area_region": "area_town"}


def _map_config() -> dict[str, Any]:
    return {
        "leaflet_css": static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.css"),
        "leaflet_js": static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.js"),
        "tiles_url": settings.MAP_TILES_URL,
        "tiles_attribution": settings.MAP_TILES_ATTRIBUTION,
        "places_url": reverse("v1:places"),
    }


def _messages_of(exc: ValidationError) -> list[str]:
    return [str(msg) for msg in exc.messages]


def _attach(form: Form, field_name: str, msgs: list[str]) -> None:
    name = FIELD_ALIASES.get(field_name, field_name)
    if name.startswith("hours"):
        form.add_error(None, [_("Opening hours: %(message)s") % {"message": msg} for msg in msgs])
    elif name in form.fields:
        form.add_error(name, msgs)
    else:
        form.add_error(None, msgs)


def attach_service_errors(
    exc: ValidationError,
    *,
    main: Form,
    nested: dict[str, list[Form]] | None = None,
    fallback: Form | None = None,
) -> list[str]:
    """Put a service's errors on the inputs they name; what names no input is
    returned to be shown at the top of the page."""
    if not hasattr(exc, "error_dict"):
        return _messages_of(exc)
    page: list[str] = []
    nested = nested or {}
    for key, msgs in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] in nested and len(parts) >= 3 and parts[1].isdigit():
            forms_ = nested[parts[0]]
            index = int(parts[1])
            if index < len(forms_):
                _attach(forms_[index], parts[2], msgs)
                continue
            page += msgs
        elif key in main.fields:
            main.add_error(key, msgs)
        elif fallback is not None and key != "__all__":
            fallback.add_error(None, msgs)
        else:
            page += msgs
    return page


def _org_for(request: HttpRequest, slug: str, *, edit: bool) -> m.Organisation:
    """The organisation, if this user may see (coordinators, moderators) or
    edit it (owners, editors, moderators). Someone with no part in it gets a
    404: the address must not tell them a pending listing exists."""
    org = get_object_or_404(m.Organisation, slug=slug)
    user = request.user
    if permissions.can_edit_organisation(user, org):
        return org
    if permissions.can_moderate_organisation(user, org):
        if edit:
            raise PermissionDenied(services.NOT_ALLOWED)
        return org
    raise Http404


# --- dashboard ----------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    orgs = list(
        m.Organisation.objects.filter(access__user=user)
        .prefetch_related(
            Prefetch(
                "change_requests",
                queryset=m.ChangeRequest.objects.filter(status=m.Decision.PENDING).order_by("created_at"),
                to_attr="pending_changes",
            ),
            Prefetch("memberships", queryset=m.Membership.objects.select_related("network").order_by("network__name")),
        )
        .distinct()
        .order_by("name")
    )
    my_claims = list(
        m.Claim.objects.filter(requested_by=user).select_related("organisation").order_by("-created_at")[:20]
    )
    moderates = permissions.is_moderator(user) or bool(permissions.coordinated_network_ids(user))
    queue_size = 0
    if moderates:
        queue = moderation_queue(user=user)
        queue_size = sum(len(queue[k]) for k in ("organisations", "change_requests", "claims", "memberships"))
    return render(
        request,
        "frontend/partner/dashboard.html",
        {
            "orgs": orgs,
            "claims": my_claims,
            "moderates": moderates,
            "queue_size": queue_size,
            "can_recommend": m.Membership.objects.filter(
                organisation__access__user=user, role=m.MembershipRole.MEMBER, status=m.MembershipStatus.ACTIVE
            ).exists(),
        },
    )


# --- registration ----------------------------------------------------------------------


@dataclass
class RegistrationForms:
    org: pf.OrganisationForm
    identifiers: BaseFormSet
    locations: BaseFormSet
    services: pf.BaseServiceFormSet
    networks: pf.NetworksForm
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
    locations = (
        pf.NewLocationFormSet(data, prefix="loc") if data is not None else _unbound(pf.NewLocationFormSet, "loc")
    )
    location_choices = [(str(i), _("Place %(n)s") % {"n": i + 1}) for i in range(locations.total_form_count())]
    if data is not None:
        service_fs = pf.ServiceFormSet(data, prefix="svc", location_choices=location_choices)
        identifiers = pf.IdentifierFormSet(data, prefix="ident")
    else:
        service_fs = pf.ServiceFormSet(prefix="svc", location_choices=location_choices)
        service_fs.extra = 1
        identifiers = pf.IdentifierFormSet(prefix="ident")
    return RegistrationForms(
        org=pf.OrganisationForm(data, prefix="org"),
        identifiers=identifiers,
        locations=locations,
        services=service_fs,
        networks=pf.NetworksForm(data, prefix="net", networks=networks),
    )


def _unbound(formset_class: Any, prefix: str) -> Any:
    formset = formset_class(prefix=prefix)
    formset.extra = 1
    return formset


def _with_one_more(data: QueryDict, prefix: str) -> QueryDict:
    """The submitted data with one more (empty) form in a formset: "add
    another place" works without a script and keeps everything typed."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        data[key] = str(min(int(data.get(key, "0")) + 1, 30))
    except ValueError:
        data[key] = "1"
    return data


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
        forms_ = _registration_forms(_with_one_more(request.POST, prefix))
    else:
        forms_ = _registration_forms(request.POST)
        if forms_.all_valid():
            data, identifier_forms, location_forms, service_forms = _registration_data(forms_)
            if not location_forms and not any(f.offers_presence() for f in service_forms):
                forms_.page_errors.append(str(pf.NO_PRESENCE))
            else:
                try:
                    org = services.organisation_register(
                        user=user, data=data, confirm_not_duplicate=request.POST.get("confirm_not_duplicate") == "1"
                    )
                except services.DuplicateSuspected as exc:
                    duplicates, overridable = exc.duplicates, exc.overridable
                    duplicate_message = _messages_of(exc)[0]
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
            "identifier_schemes": pf.IDENTIFIER_SCHEMES,
            **_map_config(),
        },
        status=400 if failed else 200,
    )


# --- claims ("this is us") ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def claim(request: HttpRequest, slug: str) -> HttpResponse:
    org = lookups.visible_organisation(request.user, slug)
    form = pf.ClaimForm(request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            services.claim_create(user=signed_in_user(request), organisation=org, message=form.cleaned_data["message"])
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


# --- one organisation ----------------------------------------------------------------------


def _history(org: m.Organisation) -> list[dict[str, Any]]:
    versions = list(org.history.select_related("history_user").order_by("-history_date")[:HISTORY_SHOWN])
    rows = []
    for i, version in enumerate(versions):
        # The next older version is already in the list; only the oldest shown asks the database.
        previous = versions[i + 1] if i + 1 < len(versions) else version.prev_record
        changed = [c.field for c in version.diff_against(previous).changes] if previous is not None else []
        rows.append(
            {
                "id": version.history_id,
                "date": version.history_date,
                "user": getattr(version.history_user, "username", "") or _("the system"),
                "type": version.get_history_type_display(),
                "changed": [str(getattr(m.Organisation._meta.get_field(f), "verbose_name", f)) for f in changed],
                "name": version.name,
                "current": i == 0,
            }
        )
    return rows


@login_required
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = _org_for(request, slug, edit=False)
    user = signed_in_user(request)
    can_edit = permissions.can_edit_organisation(user, org)
    memberships = list(org.memberships.select_related("network").order_by("network__name"))
    open_networks = m.Network.objects.exclude(pk__in=[ms.network_id for ms in memberships]).order_by("name")
    return render(
        request,
        "frontend/partner/organisation.html",
        {
            "org": org,
            "can_edit": can_edit,
            "can_moderate": permissions.can_decide_organisation(user, org),
            "changes": _change_rows(
                org.change_requests.filter(status=m.Decision.PENDING).select_related("location").order_by("created_at")
            ),
            "locations": list(org.locations.prefetch_related("hours").order_by("pk")),
            "services": list(org.services.prefetch_related("categories", "target_groups").order_by("pk")),
            "memberships": memberships,
            "apply_form": pf.NetworksForm(prefix="net", networks=open_networks) if can_edit else None,
            "history": _history(org),
            "people": list(org.access.select_related("user").order_by("created_at")),
            "can_manage_editors": permissions.can_manage_editors(user, org),
            "identifiers": list(org.identifiers.all()),
            "visibility_labels": pf.VISIBILITY_LABELS,
        },
    )


def _identifier_formset(org: m.Organisation, data: QueryDict | None) -> BaseFormSet | None:
    """The other registry identifiers on the edit page; None when a submission
    has none of them (it then leaves them as they are)."""
    initial = pf.identifier_initial(org)
    if data is None:
        formset = pf.IdentifierFormSet(prefix="ident", initial=initial)
        formset.extra = 0 if initial else 1
        return formset
    if "ident-TOTAL_FORMS" not in data:
        return None
    return pf.IdentifierFormSet(data, prefix="ident", initial=initial)


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, slug: str) -> HttpResponse:
    org = _org_for(request, slug, edit=True)
    adding = request.method == "POST" and request.POST.get("add") == "ident"
    data = None if request.method != "POST" else _with_one_more(request.POST, "ident") if adding else request.POST
    form = pf.OrganisationForm.for_organisation(org, data)
    identifiers = _identifier_formset(org, data)
    errors: list[str] = []
    if request.method == "POST" and not adding:
        valid = [form.is_valid(), identifiers is None or identifiers.is_valid()]
        if all(valid):
            changes = form.changes()
            kept = pf.kept_identifier_forms(identifiers) if identifiers is not None else []
            if identifiers is not None:
                changes["identifiers"] = [f.data_for_service() for f in kept]
            try:
                change = services.organisation_update(user=signed_in_user(request), organisation=org, changes=changes)
            except ValidationError as exc:
                errors = attach_service_errors(exc, main=form, nested={"identifiers": list(kept)})
            else:
                _say_saved(request, change)
                return redirect("frontend:partner:organisation", slug=org.slug)
    failed = request.method == "POST" and not adding
    return render(
        request,
        "frontend/partner/organisation_edit.html",
        {
            "org": org,
            "form": form,
            "identifiers": identifiers,
            "identifier_schemes": pf.IDENTIFIER_SCHEMES,
            "waits": services.waits_for_approval(signed_in_user(request), org),
            "errors": errors,
            "failed": failed,
        },
        status=400 if failed else 200,
    )


def _say_saved(request: HttpRequest, change: m.ChangeRequest | None) -> None:
    if change is None:
        messages.success(request, _("Saved. The changes are live."))
    else:
        messages.info(
            request,
            _(
                "Saved. The name, registry numbers and where a place is wait for a moderator's approval: "
                "until then the directory shows the old values."
            ),
        )


@login_required
@require_http_methods(["GET", "POST"])
def location_edit(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    org = _org_for(request, slug, edit=True)
    location = get_object_or_404(m.Location.objects.prefetch_related("hours"), pk=pk, organisation=org)
    form = pf.LocationEditForm.for_location(location, request.POST or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            change = services.location_update(user=signed_in_user(request), location=location, changes=form.changes())
        except ValidationError as exc:
            errors = attach_service_errors(exc, main=form)
        else:
            _say_saved(request, change)
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
            **_map_config(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def location_new(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a place: live at once, or (a published listing, not a moderator) sent for approval."""
    org = _org_for(request, slug, edit=True)
    user = signed_in_user(request)
    form = pf.NewLocationForm(request.POST if request.method == "POST" else None, prefix="loc")
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
            **_map_config(),
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def location_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Asks first (GET); the button removes the place or sends the removal for approval."""
    org = _org_for(request, slug, edit=True)
    user = signed_in_user(request)
    location = get_object_or_404(m.Location, pk=pk, organisation=org)
    errors: list[str] = []
    if request.method == "POST":
        try:
            change = services.location_remove(user=user, location=location)
        except ValidationError as exc:
            errors = _messages_of(exc)
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


def _location_choices(locations: list[m.Location]) -> list[tuple[str, str]]:
    return [(str(i), str(loc)) for i, loc in enumerate(locations)]


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    org = _org_for(request, slug, edit=True)
    service = get_object_or_404(m.Service, pk=pk, organisation=org) if pk is not None else None
    # service_save refers to locations by their index in this order.
    locations = list(org.locations.order_by("pk"))
    initial = pf.ServiceForm.initial_for(service, locations) if service is not None else None
    form = pf.ServiceForm(
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
            **_map_config(),
        },
        status=400 if request.method == "POST" else 200,
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
    org = _org_for(request, slug, edit=True)
    try:
        history_id = int(request.POST.get("history_id", ""))
        before = org.change_requests.filter(status=m.Decision.PENDING).count()
        services.organisation_restore(user=signed_in_user(request), organisation=org, history_id=history_id)
    except (ValueError, ValidationError):
        messages.error(request, str(services.UNKNOWN_VERSION))
    else:
        if org.change_requests.filter(status=m.Decision.PENDING).count() > before:
            _say_saved(request, org.change_requests.filter(status=m.Decision.PENDING).last())
        else:
            messages.success(request, _("The version is restored."))
    return redirect("frontend:partner:organisation", slug=org.slug)


@login_required
@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    org = _org_for(request, slug, edit=True)
    networks = m.Network.objects.exclude(memberships__organisation=org).order_by("name")
    form = pf.NetworksForm(request.POST, prefix="net", networks=networks)
    if form.is_valid():
        try:
            for application in form.applications():
                network = m.Network.objects.get(slug=application["network"])
                services.membership_apply(
                    user=signed_in_user(request), organisation=org, network=network, role=application["role"]
                )
        except ValidationError as exc:
            for msg in _messages_of(exc):
                messages.error(request, msg)
        else:
            if form.applications():
                messages.success(request, _("Sent. The coalition's coordinators will decide."))
    return redirect("frontend:partner:organisation", slug=org.slug)


# --- recommending applicants (members of a coalition) -----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def recommend(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    member_of = m.Membership.objects.filter(
        organisation__access__user=user, role=m.MembershipRole.MEMBER, status=m.MembershipStatus.ACTIVE
    ).select_related("organisation", "network")
    mine = {ms.network_id: [] for ms in member_of}  # type: dict[int, list[m.Organisation]]
    for ms in member_of:
        mine[ms.network_id].append(ms.organisation)
    if request.method == "POST":
        membership = get_object_or_404(m.Membership, pk=request.POST.get("membership") or 0, network_id__in=list(mine))
        recommender = get_object_or_404(m.Organisation, slug=request.POST.get("recommender", ""))
        try:
            services.membership_recommend(
                user=user, recommender=recommender, membership=membership, text=request.POST.get("text", "")
            )
        except ValidationError as exc:
            for msg in _messages_of(exc):
                messages.error(request, msg)
        else:
            messages.success(request, _("Your recommendation is recorded."))
        return redirect("frontend:partner:recommend")
    applications = list(
        m.Membership.objects.filter(network_id__in=list(mine), status=m.MembershipStatus.APPLIED)
        .exclude(organisation__access__user=user)
        .select_related("organisation", "network")
        .prefetch_related("recommendations__recommender")
        .order_by("network__name", "created_at")
    )
    for ms in applications:
        given = {r.recommender_id for r in ms.recommendations.all()}
        ms.my_orgs = [o for o in mine[ms.network_id] if o.pk not in given]  # type: ignore[attr-defined]
    return render(request, "frontend/partner/recommend.html", {"applications": applications})


# --- editors: invitations by an owner -----------------------------------------------------------


def _org_for_owner(request: HttpRequest, slug: str) -> m.Organisation:
    """The organisation, for an owner or a site moderator; an editor or a
    coordinator gets a 403, anyone else the same 404 as for the listing."""
    org = _org_for(request, slug, edit=True)
    if not permissions.can_manage_editors(request.user, org):
        raise PermissionDenied(services.NOT_OWNER)
    return org


@login_required
@require_http_methods(["GET", "POST"])
def editors(request: HttpRequest, slug: str) -> HttpResponse:
    """Who edits the listing, the invitations waiting, and the form to invite."""
    org = _org_for_owner(request, slug)
    user = signed_in_user(request)
    days = services.INVITATION_MAX_AGE.days
    form = pf.InvitationForm(request.POST if request.method == "POST" else None, days=days)
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
    org = _org_for(request, slug, edit=True)
    user = signed_in_user(request)
    access = get_object_or_404(m.OrganisationAccess.objects.select_related("user"), pk=pk, organisation=org)
    leaving = access.user_id == user.pk
    try:
        services.editor_remove(user=user, access=access)
    except ValidationError as exc:
        for msg in _messages_of(exc):
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
    org = _org_for_owner(request, slug)
    invitation = get_object_or_404(m.OrganisationInvitation, pk=pk, organisation=org)
    try:
        services.invitation_revoke(user=signed_in_user(request), invitation=invitation)
    except ValidationError as exc:
        for msg in _messages_of(exc):
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
        return render(request, page, {"error": _messages_of(exc)[0]}, status=400)
    context: dict[str, Any] = {"invitation": found, "token": token}
    if not request.user.is_authenticated:
        back = f"{reverse('frontend:partner:invitation')}?{urlencode({'token': token})}"
        context["login_url"] = f"{reverse('frontend:login')}?{urlencode({'next': back})}"
        return render(request, page, context)
    if request.method == "POST":
        try:
            access = services.invitation_accept(user=signed_in_user(request), token=token)
        except ValidationError as exc:
            return render(request, page, {"error": _messages_of(exc)[0]}, status=400)
        except PermissionDenied as exc:
            return render(request, page, {**context, "error": str(exc)}, status=403)
        messages.success(
            request,
            _("Welcome: you can now edit “%(name)s”.") % {"name": access.organisation.name},
        )
        return redirect("frontend:partner:organisation", slug=access.organisation.slug)
    return render(request, page, context)


# --- moderation --------------------------------------------------------------------------------


# How a place's fields are named in a change request: as on the place's form.
LOCATION_LABELS: dict[str, Any] = {
    **{name: f.label for name, f in pf.LocationForm.base_fields.items() if f.label},
    "point": gettext_lazy("Where it is on the map"),
    "hours": gettext_lazy("Opening hours (local time)"),
    "kind": gettext_lazy("Kind of place"),
}


def _hours_text(hours: list[dict[str, Any]]) -> str:
    return "; ".join(f"{labels.WEEKDAYS[h['weekday']]} {h['opens']}–{h['closes']}" for h in hours)


def _value(field_name: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field_name == "point" and isinstance(value, dict):
        return f"{value['lat']:.6f}, {value['lon']:.6f}"
    if field_name == "visibility":
        return str(pf.VISIBILITY_LABELS.get(value, value))
    if field_name == "kind":
        return str(m.LocationKind(value).label) if value in m.LocationKind.values else str(value)
    if field_name == "identifiers" and isinstance(value, list):
        return "; ".join(
            f"{i['scheme']} {i['identifier']}" + (f" ({i['country']})" if i.get("country") else "") for i in value
        )
    if field_name == "hours" and isinstance(value, list):
        return _hours_text(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _field_label(cr: m.ChangeRequest, field_name: str) -> str:
    if field_name == "identifiers":
        return str(_("Registry numbers of other countries"))
    if cr.location_id and field_name in LOCATION_LABELS:
        return str(LOCATION_LABELS[field_name])
    model = m.Location if cr.location_id else m.Organisation
    try:
        return str(getattr(model._meta.get_field(field_name), "verbose_name", field_name))
    except FieldDoesNotExist:
        return field_name


def _place_rows(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, str]]:
    """A place added (old is None) or removed (new is None), field by field."""
    whole = new if new is not None else old or {}
    return [
        {
            "label": str(LOCATION_LABELS.get(f, f)),
            "old": _value(f, (old or {}).get(f)),
            "new": _value(f, (new or {}).get(f)),
        }
        for f in services.LOCATION_SNAPSHOT_ROWS
        if whole.get(f) not in (None, "", [])
    ]


def _caption(cr: m.ChangeRequest) -> str:
    place = cr.changes.get("location")
    if isinstance(place, dict) and place.get("new") is not None:
        return _("A new place")
    if isinstance(place, dict):
        name = cr.location or (place.get("old") or {}).get("name") or ""
        return _("Removing the place “%(place)s”") % {"place": name}
    if cr.location_id:
        return _("Place “%(place)s”") % {"place": cr.location}
    return _("The organisation")


def _change_rows(change_requests: Any) -> list[dict[str, Any]]:
    """Change requests with their fields side by side: label, old, new."""
    out = []
    for cr in change_requests:
        place = cr.changes.get("location")
        if isinstance(place, dict):
            rows = _place_rows(place.get("old"), place.get("new"))
        else:
            rows = [
                {"label": _field_label(cr, f), "old": _value(f, c.get("old")), "new": _value(f, c.get("new"))}
                for f, c in cr.changes.items()
            ]
        out.append({"cr": cr, "rows": rows, "caption": _caption(cr)})
    return out


@dataclass
class Failed:
    kind: str
    key: str
    messages: list[str]
    reason: str


def _require_moderator(request: HttpRequest) -> User:
    user = signed_in_user(request)
    if not (permissions.is_moderator(user) or permissions.coordinated_network_ids(user)):
        raise PermissionDenied(services.NOT_COORDINATOR)
    return user


def _queue_context(user: User, failed: Failed | None = None) -> dict[str, Any]:
    queue = moderation_queue(user=user)
    org_slugs = [o["slug"] for o in queue["organisations"]]
    orgs = list(
        m.Organisation.objects.filter(slug__in=org_slugs)
        .prefetch_related(
            Prefetch("locations", queryset=m.Location.objects.order_by("pk")),
            Prefetch("services", queryset=m.Service.objects.prefetch_related("categories").order_by("pk")),
            Prefetch("memberships", queryset=m.Membership.objects.select_related("network")),
            Prefetch("access", queryset=m.OrganisationAccess.objects.select_related("user")),
            "identifiers",
        )
        .order_by("created_at")
    )
    changes = _change_rows(
        m.ChangeRequest.objects.filter(pk__in=[c["id"] for c in queue["change_requests"]])
        .select_related("organisation", "location", "requested_by")
        .order_by("created_at")
    )
    claims = list(
        m.Claim.objects.filter(pk__in=[c["id"] for c in queue["claims"]])
        .select_related("organisation", "requested_by")
        .order_by("created_at")
    )
    counts = {ms["id"]: ms for ms in queue["memberships"]}
    memberships = list(
        m.Membership.objects.filter(pk__in=list(counts))
        .select_related("organisation", "network")
        .order_by("created_at")
    )
    look_alikes = {
        o["slug"]: [{**d, "status_label": m.PublicationStatus(d["status"]).label} for d in o["possible_duplicates"]]
        for o in queue["organisations"]
    }
    for org in orgs:
        org.possible_duplicates = look_alikes.get(org.slug, [])  # type: ignore[attr-defined]
    for ms in memberships:
        ms.recommendation_count = counts[ms.pk]["recommendations"]  # type: ignore[attr-defined]
        ms.offers_candidate = bool(  # type: ignore[attr-defined]
            ms.network.candidate_term_days and m.MembershipRole.CANDIDATE in ms.network.roles
        )
    due = list(
        m.Membership.objects.filter(pk__in=[c["id"] for c in queue["candidates_due"]])
        .select_related("organisation", "network")
        .order_by("until")
    )
    # The refused decision's messages and typed reason go back on its item.
    items: list[tuple[str, str, Any]] = [
        *(("org", o.slug, o) for o in orgs),
        *(("change", str(c["cr"].pk), c) for c in changes),
        *(("claim", str(c.pk), c) for c in claims),
        *(("membership", str(ms.pk), ms) for ms in [*memberships, *due]),
    ]
    shown = False
    for kind, key, item in items:
        hit = failed is not None and (failed.kind, failed.key) == (kind, key)
        shown = shown or hit
        errors, reason = (failed.messages, failed.reason) if failed is not None and hit else ([], "")
        if isinstance(item, dict):
            item.update(errors=errors, typed=reason)
        else:
            item.form_errors, item.typed = errors, reason
    return {
        # A refusal about an item no longer in the queue (decided meanwhile) shows at the top.
        "errors": failed.messages if failed is not None and not shown else [],
        "orgs": orgs,
        "changes": changes,
        "claims": claims,
        "memberships": memberships,
        "due": due,
        "is_moderator": permissions.is_moderator(user),
        "visibility_labels": pf.VISIBILITY_LABELS,
        "role_labels": labels.ROLES,
    }


@login_required
def moderation(request: HttpRequest) -> HttpResponse:
    user = _require_moderator(request)
    return render(request, "frontend/partner/moderation.html", _queue_context(user))


def _decided(request: HttpRequest, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("frontend:partner:moderation")


def _refused(request: HttpRequest, user: User, failed: Failed) -> HttpResponse:
    return render(request, "frontend/partner/moderation.html", _queue_context(user, failed), status=400)


@login_required
@require_POST
def moderate_organisation(request: HttpRequest, slug: str) -> HttpResponse:
    """Publish or reject from the queue; publish, suspend or reject from the
    organisation's own page (``next=organisation``)."""
    user = _require_moderator(request)
    org = lookups.visible_organisation(user, slug)
    reason = request.POST.get("reason", "")
    status = request.POST.get("status", "")
    from_page = request.POST.get("next") == "organisation"
    problem: list[str] = []
    try:
        org = services.organisation_moderate(
            user=user, organisation=org, status=status, reason=reason, base_url=request.build_absolute_uri("/")
        )
    except ValidationError as exc:
        # Includes "no place and no remote service": the service checks it before
        # the database's commit-time trigger would.
        problem = _messages_of(exc)
    if problem and from_page:
        for msg in problem:
            messages.error(request, msg)
        return redirect("frontend:partner:organisation", slug=org.slug)
    if problem:
        return _refused(request, user, Failed("org", org.slug, problem, reason))
    done = _("“%(name)s”: %(status)s. The organisation is told by e-mail.") % {
        "name": org.name,
        "status": org.get_status_display(),
    }
    if from_page:
        messages.success(request, done)
        return redirect("frontend:partner:organisation", slug=org.slug)
    return _decided(request, done)


def _approve(request: HttpRequest) -> bool:
    return request.POST.get("approve") == "1"


@login_required
@require_POST
def decide_change(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    cr = lookups.visible_change_request(user, pk)
    reason = request.POST.get("reason", "")
    try:
        cr = services.change_request_decide(user=user, change_request=cr, approve=_approve(request), reason=reason)
    except ValidationError as exc:
        return _refused(request, user, Failed("change", str(pk), _messages_of(exc), reason))
    return _decided(request, _("The change is %(decision)s.") % {"decision": cr.get_status_display().lower()})


@login_required
@require_POST
def decide_claim(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    item = lookups.visible_claim(user, pk)
    reason = request.POST.get("reason", "")
    try:
        item = services.claim_decide(user=user, claim=item, approve=_approve(request), reason=reason)
    except ValidationError as exc:
        return _refused(request, user, Failed("claim", str(pk), _messages_of(exc), reason))
    return _decided(request, _("The request is %(decision)s.") % {"decision": item.get_status_display().lower()})


@login_required
@require_POST
def decide_membership(request: HttpRequest, pk: int) -> HttpResponse:
    user = _require_moderator(request)
    ms = lookups.visible_membership(user, pk)
    reason = request.POST.get("reason", "")
    try:
        ms = services.membership_decide(
            user=user, membership=ms, decision=request.POST.get("decision", ""), reason=reason
        )
    except ValidationError as exc:
        return _refused(request, user, Failed("membership", str(pk), _messages_of(exc), reason))
    return _decided(
        request,
        _("%(org)s in %(network)s: %(status)s.")
        % {"org": ms.organisation.name, "network": ms.network.name, "status": ms.get_status_display()},
    )


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
