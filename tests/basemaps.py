"""A tiny basemap for tests: two countries side by side (lon 28-32, lat
55-59, around Pskov) sharing one border, built in a fraction of a second."""

from __future__ import annotations

import json
from pathlib import Path

from orgs.basemap.build import Options, build

TINY_TOPOLOGY = {
    "type": "Topology",
    "transform": {"scale": [0.01, 0.01], "translate": [28, 55]},
    "arcs": [
        [[200, 0], [0, 400]],
        [[200, 400], [-200, 0], [0, -400], [200, 0]],
        [[200, 0], [200, 0], [0, 400], [-200, 0]],
    ],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "West"}},
                {"type": "Polygon", "arcs": [[2, ~0]], "properties": {"name": "East"}},
            ],
        },
        "land": {"type": "GeometryCollection", "geometries": [{"type": "Polygon", "arcs": [[1, 2]]}]},
    },
}
REGION = ((28.0, 55.0, 32.0, 59.0),)


def tiny_options(folder: Path, name: str) -> Options:
    data = folder / "tiny.json"
    data.write_text(json.dumps(TINY_TOPOLOGY))
    return Options(path=folder / name, data=data, max_zoom=6, region=REGION, world_until_zoom=1)


def build_tiny(folder: Path, name: str = "tiny.pmtiles") -> Path:
    """Builds (the database must be open to the caller) and returns the archive's path."""
    options = tiny_options(folder, name)
    build(options)
    return options.path
