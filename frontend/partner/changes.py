"""How a pending change request is shown, field by field (old and new side
by side): on the organisation's page and in the moderation queue."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from frontend import labels
from frontend.partner.forms.locations import VISIBILITY_LABELS, LocationForm
from orgs import models as m
from orgs import services

# How a place's fields are named in a change request: as on the place's form.
LOCATION_LABELS: dict[str, Any] = {
    **{name: f.label for name, f in LocationForm.base_fields.items() if f.label},
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
        return str(VISIBILITY_LABELS.get(value, value))
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


def change_rows(change_requests: Any) -> list[dict[str, Any]]:
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
