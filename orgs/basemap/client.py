"""What a page's map needs to draw the basemap (frontend/static/frontend/basemap.js
for Leaflet, orgs/static/orgs/admin/map-widget.js for OpenLayers)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language

from orgs.basemap import archive as archives


def config() -> dict[str, Any] | None:
    """The tile URL template, the deepest zoom the archive has (deeper views
    draw its tiles enlarged), the attribution and the label language; None
    when there is no archive (the map then has no background)."""
    archive = archives.current()
    if archive is None:
        return None
    sample = reverse("basemap:tile", kwargs={"version": archive.etag, "z": 0, "x": 0, "y": 0})
    return {
        "tiles": sample.removesuffix("0/0/0.mvt") + "{z}/{x}/{y}.mvt",
        "maxDataZoom": archive.max_zoom,
        # Leaflet and OpenLayers show the attribution as HTML.
        "attribution": escape(archive.attribution),
        "lang": (get_language() or "ru").split("-")[0],
    }
