"""Maps built with folium, served with the project's own copy of Leaflet.

folium renders a map as three parts (what goes in <head>, the map's <div> and
its script); the page templates place them. Its defaults load Leaflet, jQuery,
Bootstrap and Font Awesome from CDNs: ``LocalMap`` loads Leaflet from this
site's static files and nothing else, so that no visit is seen by a third party
and the map works offline. The background is the site's own vector basemap
(orgs/basemap/, drawn by protomaps-leaflet and frontend/static/frontend/basemap.js);
only an operator's raster ``settings.MAP_TILES_URL`` would replace it.

Nothing a user or an organisation wrote goes into folium here: folium puts
popup and tooltip text into JavaScript template strings unescaped. Geometry
only; the text beside the map is rendered by Django's templates, and the
browser-side layers (locator.js) build their popups with DOM text nodes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import folium
from branca.element import MacroElement
from django.conf import settings
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from jinja2 import Template

from orgs.basemap import client as basemap

LEAFLET_VERSION = "1.9.4"
PROTOMAPS_LEAFLET_VERSION = "5.1.0"
# Where the home page opens: European Russia, before any search.
DEFAULT_CENTRE = (56.0, 45.0)
DEFAULT_ZOOM = 4
# A city-only location is drawn as a circle this wide around its town's centre.
CITY_AREA_M = 5000
EXACT_ZOOM = 15

PIN_STYLE: dict[str, Any] = {"color": "#1d4ed8", "fill_color": "#3b82f6", "fill_opacity": 0.9, "weight": 2}
AREA_STYLE: dict[str, Any] = {
    "color": "#b45309",
    "fill_color": "#f59e0b",
    "fill_opacity": 0.2,
    "weight": 2,
    "dash_array": "6 4",
}
TERRITORY_STYLE: dict[str, Any] = {"color": "#047857", "fill_color": "#10b981", "fill_opacity": 0.2, "weight": 2}


class LocalMap(folium.Map):
    """folium's Map with Leaflet from this site's static files. Its <head> part
    is not used (see ``render``), so folium's CDN links, its viewport meta tag
    (which forbids zooming the page on a phone) and its full-page styles never
    reach a page."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        # Instance attributes: static() may add a content hash, and the class
        # defaults (CDN URLs) stay untouched for anyone else using folium.
        self.default_js = [("leaflet", static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.js"))]
        self.default_css = [("leaflet_css", static(f"vendor/leaflet/{LEAFLET_VERSION}/leaflet.css"))]
        # The vector basemap, unless the operator set a raster tile server.
        self.basemap = None if settings.MAP_TILES_URL else basemap.config()
        if self.basemap is not None:
            BasemapLayer().add_to(self)


def basemap_scripts() -> list[tuple[str, str]]:
    return [
        ("protomaps_leaflet", static(f"vendor/protomaps-leaflet/{PROTOMAPS_LEAFLET_VERSION}/protomaps-leaflet.js")),
        ("basemap", static("frontend/basemap.js")),
    ]


def basemap_tags(config: dict[str, Any] | None, *, defer: bool = False) -> SafeString:
    """<script> tags for protomaps-leaflet and basemap.js, its configuration
    in an attribute (escaped by format_html)."""
    if config is None:
        return mark_safe("")
    (_, vendor), (_, own) = basemap_scripts()
    extra = mark_safe(" defer") if defer else ""
    return format_html(
        '<script src="{}"{}></script>\n<script src="{}" data-basemap="{}"{}></script>',
        vendor,
        extra,
        own,
        json.dumps(config),
        extra,
    )


class BasemapLayer(MacroElement):
    """Adds the vector basemap to the folium map in its set-up script."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        if (window.HelpLocatorBasemap) window.HelpLocatorBasemap.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


@dataclass(frozen=True)
class RenderedMap:
    name: str  # the JavaScript variable holding the Leaflet map
    header: SafeString
    html: SafeString
    script: SafeString


def new_map(
    *,
    location: Sequence[float] = DEFAULT_CENTRE,
    zoom: int = DEFAULT_ZOOM,
    min_zoom: int = 2,
    scroll_wheel_zoom: bool = True,
) -> LocalMap:
    return LocalMap(
        location=list(location),
        zoom_start=zoom,
        tiles=settings.MAP_TILES_URL or None,
        attr=settings.MAP_TILES_ATTRIBUTION or None,
        min_zoom=min_zoom,
        max_zoom=19,
        control_scale=True,
        world_copy_jump=True,
        scroll_wheel_zoom=scroll_wheel_zoom,
    )


def render(m: LocalMap) -> RenderedMap:
    fig: Any = m.get_root()
    fig.render()
    # The page's <head> gets the map's own two files and nothing of folium's
    # header (a second charset, a viewport that forbids zooming, full-page
    # styles, an inline script): built here from the map's public file lists.
    header = format_html_join("\n", '<script src="{}"></script>', ((url,) for _, url in m.default_js))
    header += basemap_tags(m.basemap)
    header += format_html_join("\n", '<link rel="stylesheet" href="{}">', ((url,) for _, url in m.default_css))
    # Safe: built by folium from numbers, fixed styles and settings, never
    # from user or organisation text (see the module docstring).
    return RenderedMap(
        name=m.get_name(),
        header=header,
        html=mark_safe(fig.html.render()),
        script=mark_safe(fig.script.render()),
    )


# --- geometry -------------------------------------------------------------------

Bounds = list[list[float]]


def circle_bounds(lat: float, lon: float, radius_m: float) -> Bounds:
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return [[lat - dlat, lon - dlon], [lat + dlat, lon + dlon]]


def union_bounds(boxes: Iterable[Bounds]) -> Bounds | None:
    boxes = list(boxes)
    if not boxes:
        return None
    return [
        [min(b[0][0] for b in boxes), min(b[0][1] for b in boxes)],
        [max(b[1][0] for b in boxes), max(b[1][1] for b in boxes)],
    ]


def add_location(m: LocalMap, *, lat: float, lon: float, visibility: str) -> Bounds:
    """Draw one location at its public position: a pin when exact, an area
    when protected (the true point lies inside it, never at its centre)."""
    if visibility == "exact":
        folium.CircleMarker(location=[lat, lon], radius=9, class_name="hl-location", **PIN_STYLE).add_to(m)
        return circle_bounds(lat, lon, 300)
    radius = settings.LOCATION_BLUR_M if visibility == "approximate" else CITY_AREA_M
    folium.Circle(location=[lat, lon], radius=radius, class_name="hl-area", **AREA_STYLE).add_to(m)
    return circle_bounds(lat, lon, radius)


def add_territory(m: LocalMap, *, rings: list[list[list[list[float]]]]) -> Bounds | None:
    """Draw a territory given as polygons of [lat, lon] rings (outer ring first)."""
    boxes = []
    for polygon in rings:
        folium.Polygon(locations=polygon, class_name="hl-territory", **TERRITORY_STYLE).add_to(m)
        lats = [p[0] for p in polygon[0]]
        lons = [p[1] for p in polygon[0]]
        boxes.append([[min(lats), min(lons)], [max(lats), max(lons)]])
    return union_bounds(boxes)


def add_radius_territory(m: LocalMap, *, lat: float, lon: float, radius_m: float) -> Bounds:
    folium.Circle(location=[lat, lon], radius=radius_m, class_name="hl-territory", **TERRITORY_STYLE).add_to(m)
    return circle_bounds(lat, lon, radius_m)


def fit(m: LocalMap, bounds: Bounds | None, *, max_zoom: int = EXACT_ZOOM) -> None:
    if bounds is not None:
        m.fit_bounds(bounds, max_zoom=max_zoom, padding=(20, 20))
