"""Public pages: the locator, organisations, coalitions, Active People Centres
and the embeddable widget. Thin views: a selector read, a folium map, a
template. The locator's results are fetched by the browser from the public
API (locator.js), so no page embeds the directory's points."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
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

# The embed snippet's frame height, in CSS pixels (the webmaster may change
# it; with the snippet's script the frame follows its content, docs/api.md).
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
        "myLocationNear": _("your location, near {place}"),
        "openUntil": _("until {t}"),
        "opensAt": _("opens at {t}"),
        "opensOn": _("opens on {day} at {t}"),
        "directions": _("Directions"),
        "noContact": _("No public contacts yet."),
        "askCoalition": _("Ask the coalition:"),
        "filtersOn": _("({n} on)"),
        "linkCopied": _(
            "Link copied. Anyone who opens it sees this list; it holds the town and filters, not your location."
        ),
        "copyByHand": _("Copy the link from the box."),
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
            "placeNearest": reverse("v1:place-nearest"),
            "interpret": reverse("v1:interpret"),
        },
        "organisationUrl": reverse("frontend:organisation", args=["__slug__"]),
        "centreUrl": reverse("frontend:centre", args=["__slug__"]),
        "networkUrl": reverse("frontend:network", args=["__slug__"]),
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
    # The snippet may choose the widget's language (?lang=en): the coalition's
    # site knows its own; otherwise the visitor's, as on every page.
    if (lang := request.GET.get("lang")) in dict(settings.LANGUAGES):
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
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
        open_now = selectors.is_open(loc)
        opens = selectors.next_opening(loc) if open_now is False else None
        locations.append(
            {
                "location": loc,
                "open_now": open_now,
                "opens_today": opens[0] == 0 if opens else None,
                "opens_weekday": opens[1] if opens else None,
                "opens_at": opens[2] if opens else None,
                # A geo: link opens the phone's map app: only for a place shown exactly.
                "geo": f"geo:{pos.lat},{pos.lon}" if pos is not None and loc.visibility == m.Visibility.EXACT else "",
            }
        )
    maps.fit(m_, maps.union_bounds(boxes))
    services = list(org.services.all())
    service_contacts = any(s.phone or s.email or s.url for s in services)
    return render(
        request,
        "frontend/organisation.html",
        {
            "org": org,
            "locations": locations,
            "physical_count": len(boxes),
            "services": services,
            "service_contacts": service_contacts,
            "no_contact": not (service_contacts or org.website or org.email or org.social_links),
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
            # The site's own address when the coalition gave none: never a person's.
            "site_contact": settings.COORDINATORS_EMAIL,
            "members": members,
            "groups": groups,
            "embed_url": embed_url,
            "embed_snippet": embed_snippet(url=embed_url, title=localized(net, "name")),
        }
    )
    return render(request, "frontend/network.html", context)


def embed_snippet(*, url: str, title: str) -> str:
    """The HTML a coalition pastes into its site: plain text here, which the
    page escapes once more to show it in a text box. The frame, and a few
    lines that let it follow the widget's height (the postMessage protocol in
    docs/api.md); without them the frame keeps its height and scrolls."""
    origin = escape(url.split("/embed/", 1)[0])
    return (
        f'<iframe src="{escape(url)}" title="{escape(title)}" width="100%" height="{EMBED_HEIGHT}"'
        ' style="border:0" loading="lazy" data-help-locator></iframe>\n'
        "<script>addEventListener('message',function(e){"
        f"if(e.origin!=='{origin}'||!e.data||e.data.type!=='help-locator:height')return;"
        "document.querySelectorAll('iframe[data-help-locator]').forEach(function(f){"
        "if(f.contentWindow===e.source)f.style.height=Math.min(Math.max(+e.data.height||0,320),4000)+'px';});});"
        "</script>"
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


@require_safe
def language(request: HttpRequest, code: str) -> HttpResponseBase:
    """The language links of every page: one tap sets the language and reloads
    the page it came from. A GET on purpose: Django's set_language wants a POST
    with a CSRF token, which would put a long-lived cookie on every page; a
    forged link can only change the language the visitor reads in.
    The cookie lasts for the browser session (LANGUAGE_COOKIE_AGE is None)."""
    if code not in dict(settings.LANGUAGES):
        raise Http404(_("No such language."))
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("frontend:home")
    response = HttpResponseRedirect(translate_url(next_url, code))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# The privacy page's text is prose, written in each language rather than
# pieced together from translated sentences.
PRIVACY_TEMPLATES = {
    "ru": "frontend/privacy/ru.html",
    "en": "frontend/privacy/en.html",
    "uk": "frontend/privacy/uk.html",
}


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    text = PRIVACY_TEMPLATES.get(current_language(), PRIVACY_TEMPLATES["ru"])
    return render(request, "frontend/privacy.html", {"text_template": text})
