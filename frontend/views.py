"""Public pages: the locator, organisations, coalitions, Active People Centres
and the embeddable widget. Thin views: a selector read, a folium map, a
template. The locator's results are fetched by the browser from the public
API (locator.js), so no page embeds the directory's points."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from api.serializers import FilterQuerySerializer
from frontend import labels, maps
from frontend import selectors as fs
from frontend.query_messages import query_messages
from frontend.templatetags.frontend_tags import current_language, localized
from orgs import models as m
from orgs import selectors

# The embed snippet's frame height, in CSS pixels.
EMBED_HEIGHT = 640


def _initial_filters(request: HttpRequest) -> dict[str, Any]:
    """Filters given in the address (?category=…&free=true…) to preselect in
    the form; anything invalid is ignored rather than refused."""
    query = FilterQuerySerializer(data=request.GET)
    if not query.is_valid():
        return {"format": [], "category": [], "target": [], "network": []}
    return dict(query.validated_data)


def _js_messages() -> dict[str, str]:
    return {
        "searching": _("Searching…"),
        "resultsNear": _("Nearest help to {place}, nearest first:"),
        "myLocation": _("your location"),
        "noResults": _("Nothing found with these filters. Remove a filter, or see help by phone and online below."),
        "unknownPlace": _("We do not know a town called “{q}”. Check the spelling or choose one from the list."),
        "alsoCalled": _("Other places with this name:"),
        "enterPlace": _("Type a town or city, or use your location."),
        "loadError": _("Could not load the results. Check the connection and try again."),
        "geoUnsupported": _("This browser cannot tell your location. Type a town instead."),
        "geoFailed": _("Your location is not available. Type a town instead."),
        "geoLocating": _("Finding your location…"),
        "metres": _("{n} m"),
        "kilometres": _("{n} km"),
        "about": _("about {d}"),
        "distance": _("Distance: {d}"),
        "openNow": _("Open now"),
        "closedNow": _("Closed now"),
        "free": _("free"),
        "paid": _("paid"),
        "showOnMap": _("Show on the map"),
        "showInList": _("Show in the list"),
        "aboutOrganisation": _("About the organisation"),
        "approximate": _("Approximate place: the exact address is not published for safety."),
        "cityOnly": _("Only the town is published, for safety."),
        "mapPoints": _("Places on the map: {n}"),
        "mapClusters": _("Places on the map: {n}, in groups. Zoom in to see each one."),
        "mapLoading": _("Loading the map…"),
        "mapError": _("Could not load the places for the map. The list still works."),
        "tilesFailed": _("The map background is not available; the places and the list still work."),
        "clusterTitle": _("{n} places here: zoom in"),
        "resultMarker": _("Result {n}: {name}"),
        "remoteNone": _("No help by phone or online covering this place matches the filters."),
        "remoteBefore": _("Search for a place to see help by phone and online that covers it."),
        "centresNone": _("No Active People Centre covers this place."),
        "phone": _("Phone"),
        "website": _("Website"),
        "email": _("E-mail"),
        "host": _("Host organisation"),
        "coversArea": _("Covers: {area}"),
        "suggestions": _("Suggestions: {n}. Use the up and down arrows to choose."),
        "noSuggestions": _("No town with this name."),
    }


def _locator_context(request: HttpRequest, *, network: m.Network | None) -> dict[str, Any]:
    rendered = maps.render(maps.new_map())
    initial = _initial_filters(request)
    categories = fs.category_options()
    targets = list(m.TargetGroup.objects.all())
    config = {
        "lang": current_language(),
        "api": {
            "nearest": reverse("v1:nearest"),
            "locations": reverse("v1:locations"),
            "places": reverse("v1:places"),
            "interpret": reverse("v1:interpret"),
        },
        "organisationUrl": reverse("frontend:organisation", args=["__slug__"]),
        "centreUrl": reverse("frontend:centre", args=["__slug__"]),
        "fixed": {"network": [network.slug]} if network else {},
        "categories": {opt.category.slug: localized(opt.category, "name") for opt in categories},
        "targets": {t.slug: localized(t, "name") for t in targets},
        "formats": {k: str(v) for k, v in labels.FORMATS.items()},
        "roles": {k: str(v) for k, v in labels.ROLES.items()},
        "areas": {k: str(v) for k, v in labels.AREAS.items()},
        "messages": _js_messages(),
        "queryMessages": query_messages(),
    }
    return {
        "map": rendered,
        "categories": categories,
        "targets": targets,
        "formats": list(labels.FORMATS.items()),
        "initial": initial,
        "network": network,
        "locator_config": config,
    }


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/home.html", _locator_context(request, network=None))


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest) -> HttpResponseBase:
    """The widget a coalition's site frames: the only page that may be framed."""
    network = None
    if slug := request.GET.get("network"):
        network = m.Network.objects.filter(slug=slug).first()
        if network is None:
            raise Http404(_("No such network."))
    context = _locator_context(request, network=network)
    # Links out of the widget open a new tab: the other pages refuse to be framed.
    context["locator_config"]["linkTarget"] = "_blank"
    context["full_site_url"] = reverse("frontend:home")
    # The one page a coalition's site may frame: django-csp's csp_replace, applied
    # here rather than as a decorator so the setting is read when the page is served.
    allow_framing = csp_replace({"frame-ancestors": settings.EMBED_FRAME_ANCESTORS.split()})

    def page(request: HttpRequest) -> HttpResponseBase:
        return render(request, "frontend/embed.html", context)

    return allow_framing(page)(request)


@require_safe
def organisation(request: HttpRequest, slug: str) -> HttpResponse:
    org = get_object_or_404(fs.organisation_page(slug))
    m_ = maps.new_map(zoom=maps.EXACT_ZOOM, scroll_wheel_zoom=False)
    boxes = []
    locations = []
    for loc in org.locations.all():
        # Public fields only (the template too reads public_address, never
        # address): the blurred position, the address only when exact.
        pos = loc.public_position
        if pos is not None:
            boxes.append(maps.add_location(m_, lat=pos.lat, lon=pos.lon, visibility=loc.visibility))
        locations.append({"location": loc, "open_now": selectors.is_open(loc)})
    maps.fit(m_, maps.union_bounds(boxes))
    services = list(org.services.all())
    return render(
        request,
        "frontend/organisation.html",
        {
            "org": org,
            "locations": locations,
            "physical_count": len(boxes),
            "services": services,
            "service_contacts": any(s.phone or s.email or s.url for s in services),
            "memberships": org.active_memberships,  # type: ignore[attr-defined]
            "centres": list(org.centres.all()),
            "map": maps.render(m_) if boxes else None,
            "blur_km": settings.LOCATION_BLUR_M / 1000,
        },
    )


@require_safe
def network_list(request: HttpRequest) -> HttpResponse:
    networks = list(m.Network.objects.order_by("name"))
    return render(request, "frontend/network_list.html", {"networks": networks})


@require_safe
def network(request: HttpRequest, slug: str) -> HttpResponse:
    net = get_object_or_404(m.Network, slug=slug)
    members = fs.network_members(net)
    by_role: dict[str, list[m.Membership]] = {}
    for membership in members:
        by_role.setdefault(membership.role, []).append(membership)
    groups = [(labels.ROLES_PLURAL.get(role, role), items) for role, items in by_role.items()]
    embed_url = request.build_absolute_uri(reverse("frontend:embed") + "?" + urlencode({"network": net.slug}))
    context = _locator_context(request, network=net)
    context.update(
        {
            "net": net,
            "members": members,
            "groups": groups,
            "embed_url": embed_url,
            "embed_snippet": embed_snippet(url=embed_url, title=localized(net, "name")),
        }
    )
    return render(request, "frontend/network.html", context)


def embed_snippet(*, url: str, title: str) -> str:
    """The HTML a coalition pastes into its site: plain text here, which the
    page escapes once more to show it in a text box."""
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="{EMBED_HEIGHT}"'
        ' style="border:0" loading="lazy"></iframe>'
    )


def _territory_rings(centre: m.ActivePeopleCentre) -> list[list[list[list[float]]]]:
    """The territory's polygons as rings of [lat, lon] (Leaflet's order)."""
    if centre.territory is None:
        return []
    return [[[[y, x] for x, y in ring] for ring in polygon.coords] for polygon in centre.territory]  # type: ignore[attr-defined]


def _draw_centre(m_: maps.LocalMap, centre: m.ActivePeopleCentre) -> maps.Bounds | None:
    if centre.territory is not None:
        return maps.add_territory(m_, rings=_territory_rings(centre))
    if centre.centre is not None and centre.radius_m:
        return maps.add_radius_territory(m_, lat=centre.centre.y, lon=centre.centre.x, radius_m=centre.radius_m)
    return None


@require_safe
def centre_list(request: HttpRequest) -> HttpResponse:
    centres = list(fs.centres_public())
    m_ = maps.new_map()
    boxes = [b for c in centres if (b := _draw_centre(m_, c)) is not None]
    maps.fit(m_, maps.union_bounds(boxes), max_zoom=12)
    return render(request, "frontend/centre_list.html", {"centres": centres, "map": maps.render(m_)})


@require_safe
def centre(request: HttpRequest, slug: str) -> HttpResponse:
    c = get_object_or_404(fs.centres_public(), slug=slug)
    m_ = maps.new_map(scroll_wheel_zoom=False)
    bounds = _draw_centre(m_, c)
    maps.fit(m_, bounds, max_zoom=15)
    return render(
        request,
        "frontend/centre.html",
        {"centre": c, "helps_with": list(c.helps_with.all()), "map": maps.render(m_) if bounds else None},
    )
