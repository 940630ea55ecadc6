"""A listing's history on its partner page: the recorded versions of the
organisation, its places and its services in one timeline, each change named
as on the edit forms; and the confirmation page of a restore, which shows
what would change (now and then) before anything does. The rules are
``orgs.services.history``'."""

from __future__ import annotations

from itertools import chain
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from frontend import labels
from frontend.partner.changes import LOCATION_LABELS
from frontend.partner.changes import _value as change_value
from frontend.partner.forms.organisation import OrganisationForm
from frontend.partner.forms.services import ServiceForm
from frontend.partner.shared import org_for, say_saved
from orgs import models as m
from orgs.permissions import signed_in_user
from orgs.services import history as history_services
from orgs.services.editing import GATED_ORGANISATION_FIELDS
from orgs.services.locations import GATED_LOCATION_FIELDS

SHOWN = 50

# How each record's fields are named: as on the form that edits them.
FIELD_LABELS: dict[str, dict[str, Any]] = {
    "organisation": {name: f.label for name, f in OrganisationForm.base_fields.items() if f.label},
    "location": LOCATION_LABELS,
    "service": {
        **{name: f.label for name, f in ServiceForm.base_fields.items() if f.label},
        "categories": gettext_lazy("Kind of help"),
        "is_free": gettext_lazy("Cost"),
    },
}
# Fields the timeline does not report: derived, or bookkeeping nobody edits.
NOT_SHOWN = (
    "created_at",
    "updated_at",
    "public_point",
    "blur_seed",
    "uuid",
    "search_document",
    "is_stale",
    "verification_reminded_at",
    "quality_reminded_at",
    "place",
    "source",
)


def _label(kind: str, field: str) -> str:
    label = FIELD_LABELS[kind].get(field)
    if label is not None:
        return str(label)
    model = history_services.MODELS[kind]
    return str(getattr(model._meta.get_field(field), "verbose_name", field))


def _subject(kind: str, version: Any) -> str:
    if kind == "organisation":
        return _("The organisation")
    name = version.name or version.city or ""
    if kind == "location":
        return _("Place “%(name)s”") % {"name": name} if name else _("A place")
    return _("Service “%(name)s”") % {"name": name}


def timeline(org: m.Organisation) -> list[dict[str, Any]]:
    """The newest SHOWN versions of the organisation, its places and services."""
    queries = {
        "organisation": org.history.all(),
        "location": m.Location.history.filter(organisation_id=org.pk),
        "service": m.Service.history.filter(organisation_id=org.pk),
    }
    fetched = {
        kind: list(qs.select_related("history_user").order_by("-history_date", "-history_id")[:SHOWN])
        for kind, qs in queries.items()
    }
    existing = {
        "location": set(org.locations.values_list("pk", flat=True)),
        "service": set(org.services.values_list("pk", flat=True)),
    }
    newest: set[tuple[str, int]] = set()
    rows = []
    for kind, version in sorted(
        chain.from_iterable(((kind, v) for v in versions) for kind, versions in fetched.items()),
        key=lambda kv: (kv[1].history_date, kv[1].history_id),
        reverse=True,
    )[:SHOWN]:
        key = (kind, version.id)
        current = key not in newest
        newest.add(key)
        same = [v for v in fetched[kind] if v.id == version.id and v.history_date < version.history_date]
        # The next older version is usually fetched already; else one query.
        previous = same[0] if same else version.prev_record
        changed = []
        if previous is not None and version.history_type == "~":
            delta = version.diff_against(previous, excluded_fields=NOT_SHOWN)
            changed = [_label(kind, c.field) for c in delta.changes]
        alive = kind == "organisation" or version.id in existing[kind]
        rows.append(
            {
                "kind": kind,
                "id": version.history_id,
                "subject": _subject(kind, version),
                "date": version.history_date,
                "user": getattr(version.history_user, "username", "") or _("the system"),
                "type": version.get_history_type_display(),
                "changed": changed,
                "current": current,
                "restorable": alive and not current and version.history_type != "-",
            }
        )
    return rows


def _shown(kind: str, field: str, value: Any) -> str:
    if field == "point" and value is not None:
        return f"{value.y:.6f}, {value.x:.6f}"
    if field == "formats":
        return ", ".join(str(labels.FORMATS.get(v, v)) for v in value) or "—"
    if field == "legal_form":
        return str(labels.LEGAL_FORMS.get(value, value))
    if field == "area_kind":
        return str(labels.AREAS.get(value, value))
    if field == "area_place":
        place = m.Place.objects.filter(pk=value).first() if value else None
        return place.name_ru or place.name if place is not None else "—"
    if isinstance(value, bool):
        return _("free") if value else _("paid")
    return change_value(field, value)


@login_required
@require_http_methods(["GET", "POST"])
def restore_version(request: HttpRequest, slug: str, kind: str, history_id: int) -> HttpResponse:
    """GET: what restoring this version would change, and a button. POST: do it."""
    org = org_for(request, slug, edit=True)
    try:
        found = history_services.version_changes(organisation=org, kind=kind, history_id=history_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("frontend:partner:organisation", slug=org.slug)
    if request.method == "POST":
        request_made = history_services.version_restore(
            user=signed_in_user(request),
            organisation=org,
            kind=kind,
            history_id=history_id,
        )
        if request_made is not None:
            say_saved(request, request_made)
        else:
            messages.success(request, _("The version is restored."))
        return redirect("frontend:partner:organisation", slug=org.slug)
    rows = [
        {"label": _label(kind, field), "now": _shown(kind, field, now), "then": _shown(kind, field, then)}
        for field, (now, then) in found.changes.items()
    ]
    return render(
        request,
        "frontend/partner/restore.html",
        {
            "org": org,
            "subject": _subject(kind, found.version),
            "date": found.version.history_date,
            "rows": rows,
            "kind": kind,
            "history_id": history_id,
            # For a published listing these wait for a moderator (unless one restores).
            "gated": org.status == m.PublicationStatus.PUBLISHED
            and any(f in (*GATED_ORGANISATION_FIELDS, *GATED_LOCATION_FIELDS) for f in found.changes),
        },
    )
