"""Reading the basemap archive (settings.MAP_BASEMAP): its tiles by z/x/y and
its bytes by range, for orgs/basemap/views.py.

One open file per process, reopened when the file changes (a rebuild
replaces it atomically); reads use ``os.pread``, which needs no lock between
threads. Directories are parsed once and kept."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from pmtiles.tile import Compression, deserialize_directory, deserialize_header, find_tile, zxy_to_tileid

from orgs.basemap.build import ATTRIBUTION as BUILT_ATTRIBUTION

OSM_ATTRIBUTION = "© OpenStreetMap contributors"
MAX_ZOOM = 30


@dataclass
class Archive:
    path: Path
    fd: int
    size: int
    mtime_ns: int
    header: dict[str, Any]
    metadata_attribution: str
    # Identifies this version of the file: its size, time and first 16 KiB
    # (header and root directory). Hashing a multi-gigabyte operator archive
    # on every start would be too slow.
    etag: str
    _leaves: dict[tuple[int, int], list[Any]] = field(default_factory=dict)

    def read(self, offset: int, length: int) -> bytes:
        return os.pread(self.fd, length, offset)

    @property
    def gzipped_tiles(self) -> bool:
        return bool(self.header["tile_compression"] == Compression.GZIP)

    @property
    def min_zoom(self) -> int:
        return int(self.header["min_zoom"])

    @property
    def max_zoom(self) -> int:
        return int(self.header["max_zoom"])

    def _directory(self, offset: int, length: int) -> list[Any]:
        key = (offset, length)
        if key not in self._leaves:
            self._leaves[key] = deserialize_directory(self.read(offset, length))
        return self._leaves[key]

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile's bytes as stored (gzipped when ``gzipped_tiles``), or None."""
        tile_id = zxy_to_tileid(z, x, y)
        offset, length = self.header["root_offset"], self.header["root_length"]
        for _ in range(4):  # PMTiles directories are at most 4 deep
            entry = find_tile(self._directory(offset, length), tile_id)
            if entry is None:
                return None
            if entry.run_length > 0:
                return self.read(self.header["tile_data_offset"] + entry.offset, entry.length)
            offset, length = self.header["leaf_directory_offset"] + entry.offset, entry.length
        return None

    @property
    def attribution(self) -> str:
        if settings.MAP_BASEMAP_ATTRIBUTION:
            return str(settings.MAP_BASEMAP_ATTRIBUTION)
        # Plain text: the metadata of an operator's archive is not trusted as HTML.
        return BUILT_ATTRIBUTION if self.metadata_attribution == BUILT_ATTRIBUTION else OSM_ATTRIBUTION


_lock = threading.Lock()
_current: Archive | None = None


def current() -> Archive | None:
    """The archive MAP_BASEMAP names, or None when it is missing or not PMTiles."""
    global _current
    path = Path(settings.MAP_BASEMAP)
    try:
        stat = path.stat()
    except OSError:
        return None
    with _lock:
        if (
            _current is not None
            and _current.path == path
            and (_current.size, _current.mtime_ns) == (stat.st_size, stat.st_mtime_ns)
        ):
            return _current
        opened = _open(path)
        if _current is not None:
            os.close(_current.fd)
        _current = opened
        return opened


def _open(path: Path) -> Archive | None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    stat = os.fstat(fd)
    head = os.pread(fd, 16384, 0)
    if len(head) < 127 or head[:7] != b"PMTiles" or head[7] != 3:
        os.close(fd)
        return None
    header = deserialize_header(head[:127])
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}:".encode() + head).hexdigest()[:20]
    archive = Archive(
        path=path,
        fd=fd,
        size=stat.st_size,
        mtime_ns=stat.st_mtime_ns,
        header=header,
        metadata_attribution="",
        etag=digest,
    )
    archive.metadata_attribution = _metadata_attribution(archive)
    return archive


def _metadata_attribution(archive: Archive) -> str:
    raw = archive.read(archive.header["metadata_offset"], archive.header["metadata_length"])
    try:
        if archive.header["internal_compression"] == Compression.GZIP:
            raw = gzip.decompress(raw)
        value = json.loads(raw).get("attribution", "")
    except (OSError, ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""
