"""Just enough TopoJSON (https://github.com/topojson/topojson-specification)
to read world-atlas' Natural Earth file: quantized, delta-encoded arcs, the
polygons built from them, and the borders (arcs two countries share, which is
what topojson-client's ``mesh(topology, object, (a, b) => a !== b)`` gives)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

Ring = list[tuple[float, float]]


class Topology:
    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text(encoding="utf-8"))
        self.objects: dict[str, Any] = data["objects"]
        scale = data["transform"]["scale"]
        translate = data["transform"]["translate"]
        self.arcs: list[Ring] = []
        for arc in data["arcs"]:
            x = y = 0
            points: Ring = []
            for dx, dy in arc:
                x += dx
                y += dy
                # Rounded so that the same file gives the same numbers on any machine.
                points.append((round(x * scale[0] + translate[0], 6), round(y * scale[1] + translate[1], 6)))
            self.arcs.append(points)

    def _arc(self, index: int) -> Ring:
        # A negative index is the one's complement of an arc walked backwards.
        return list(reversed(self.arcs[~index])) if index < 0 else self.arcs[index]

    def _ring(self, indexes: list[int]) -> Ring:
        ring: Ring = []
        for i in indexes:
            points = self._arc(i)
            ring.extend(points if not ring else points[1:])
        return ring

    def polygons(self, name: str) -> list[tuple[dict[str, Any], list[list[Ring]]]]:
        """Each geometry of the object as (properties, polygons of rings)."""
        out = []
        for geometry in _geometries(self.objects[name]):
            if geometry["type"] == "Polygon":
                parts = [geometry["arcs"]]
            elif geometry["type"] == "MultiPolygon":
                parts = geometry["arcs"]
            else:
                continue
            polygons = [[self._ring(ring) for ring in polygon] for polygon in parts]
            out.append((geometry.get("properties") or {}, polygons))
        return out

    def borders(self, name: str) -> list[Ring]:
        """The arcs shared by two different geometries of the object: land borders, not coasts."""
        users: dict[int, set[int]] = defaultdict(set)
        for n, geometry in enumerate(_geometries(self.objects[name])):
            for index in _arc_indexes(geometry.get("arcs", [])):
                users[index if index >= 0 else ~index].add(n)
        return [self.arcs[i] for i in sorted(users) if len(users[i]) > 1]


def _geometries(obj: dict[str, Any]) -> list[dict[str, Any]]:
    return obj["geometries"] if obj["type"] == "GeometryCollection" else [obj]


def _arc_indexes(arcs: Any) -> list[int]:
    if isinstance(arcs, int):
        return [arcs]
    return [i for part in arcs for i in _arc_indexes(part)]
