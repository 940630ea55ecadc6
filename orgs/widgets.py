"""Map widgets for the admin that load nothing from outside the site.

GeoDjango's ``OpenLayersWidget``/``OSMWidget`` fetch OpenLayers from
cdn.jsdelivr.net and hardcode the OpenStreetMap tile source. The product must
leak no visits to third parties and work offline, so OpenLayers is vendored
under ``orgs/static/vendor/ol/`` (see the README there) and the background is
the site's own vector basemap (orgs/basemap/, read with OpenLayers' MVT
format), or an operator's raster ``settings.MAP_TILES_URL`` when set.

The template carries its options as a data attribute instead of an inline
script, and ``orgs/admin/map-widget.js`` starts every map on the page: those
rendered with the page and those in inline rows added later with "Add
another" (an inline script in a cloned row would never run, and would point at
the ``__prefix__`` ids of the hidden template row).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.gis.forms.widgets import OSMWidget

from orgs.basemap import client as basemap

# The OpenLayers major version GeoDjango's OLMapWidget.js is written for
# (Django 5.2 loads ol@v7.2.2 from a CDN); vendored at exactly that version.
OL_VERSION = "7.2.2"
OL_STATIC_DIR = f"vendor/ol/{OL_VERSION}"


class LocalMapWidget(OSMWidget):
    """``OSMWidget`` with OpenLayers and the basemap served from this site."""

    template_name = "gis/orgs-openlayers.html"
    # An empty map opens on the coalitions' region (Russia and EECA), not on
    # GeoDjango's default of central France.
    default_lon = 50
    default_lat = 55
    default_zoom = 3

    class Media:
        # Replace, not extend, the parent's media: that is where the CDN URLs are.
        extend = False
        css = {"all": (f"{OL_STATIC_DIR}/ol.css", "gis/css/ol3.css")}
        js = (f"{OL_STATIC_DIR}/ol.js", "gis/js/OLMapWidget.js", "orgs/admin/map-widget.js")

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["map_options"] = json.dumps(
            {
                "geom_name": context["geom_type"],
                "map_srid": context["map_srid"],
                "default_lon": context["default_lon"],
                "default_lat": context["default_lat"],
                "default_zoom": context["default_zoom"],
                "tiles_url": settings.MAP_TILES_URL,
                "tiles_attribution": settings.MAP_TILES_ATTRIBUTION if settings.MAP_TILES_URL else "",
                "basemap": None if settings.MAP_TILES_URL else basemap.config(),
            }
        )
        return context
