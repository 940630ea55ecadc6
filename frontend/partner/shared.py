"""What several partner pages share: who may open an organisation's pages,
the map's settings, and the messages after a save."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from frontend.maps import LEAFLET_VERSION, basemap_tags
from orgs import models as m
from orgs import permissions, services
from orgs.basemap import client as basemap


def map_config() -> dict[str, Any]:
    return {
        "leaflet_css": static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.css"),
        "leaflet_js": static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.js"),
        "tiles_url": settings.MAP_TILES_URL,
        "tiles_attribution": settings.MAP_TILES_ATTRIBUTION if settings.MAP_TILES_URL else "",
        # The site's own vector basemap when no raster tile server is set (partner.js).
        "basemap_assets": "" if settings.MAP_TILES_URL else basemap_tags(basemap.config(), defer=True),
        "places_url": reverse("v1:places"),
    }


def org_for(request: HttpRequest, slug: str, *, edit: bool) -> m.Organisation:
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


def org_for_owner(request: HttpRequest, slug: str) -> m.Organisation:
    """The organisation, for an owner or a site moderator; an editor or a
    coordinator gets a 403, anyone else the same 404 as for the listing."""
    org = org_for(request, slug, edit=True)
    if not permissions.can_manage_editors(request.user, org):
        raise PermissionDenied(services.NOT_OWNER)
    return org


def with_one_more(data: QueryDict, prefix: str) -> QueryDict:
    """The submitted data with one more (empty) form in a formset: "add
    another place" works without a script and keeps everything typed."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        data[key] = str(min(int(data.get(key, "0")) + 1, 30))
    except ValueError:
        data[key] = "1"
    return data


def say_saved(request: HttpRequest, change: m.ChangeRequest | None) -> None:
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
