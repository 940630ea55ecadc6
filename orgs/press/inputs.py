"""What people type into the press forms, resolved to rows: topic and target
group slugs, and a town (by gazetteer id or by name). A journalist's request
and an expert's profile take the same inputs and give the same errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError

from orgs import gazetteer
from orgs import models as m
from orgs.press.rules import UNKNOWN_PLACE


def slugs_to(model: Any, slugs: Sequence[str], field: str, message: Any) -> list[Any]:
    """The rows of ``model`` named by ``slugs``; a ValidationError on ``field`` names the unknown ones."""
    slugs = list(dict.fromkeys(s for s in slugs if s))
    found = list(model.objects.filter(slug__in=slugs))
    unknown = sorted(set(slugs) - {obj.slug for obj in found})
    if unknown:
        raise ValidationError({field: [message % {"values": ", ".join(unknown)}]})
    return found


def resolve_place(data: Mapping[str, Any]) -> m.Place | None:
    """The town of ``place_id`` or, failing that, of the name in ``place``; None when both are empty."""
    if data.get("place_id"):
        place = m.Place.objects.filter(pk=data["place_id"]).first()
        if place is None:
            raise ValidationError({"place_id": [UNKNOWN_PLACE % {"q": data["place_id"]}]})
        return place
    name = str(data.get("place") or "").strip()
    if not name:
        return None
    place, _alternatives = gazetteer.place_resolve(q=name)
    if place is None:
        raise ValidationError({"place": [UNKNOWN_PLACE % {"q": name}]})
    return place
