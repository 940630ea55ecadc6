"""The basemap over HTTP, from this site's own origin.

``/basemap/<version>/<z>/<x>/<y>.mvt``: one vector tile read out of the
archive. Leaflet (protomaps-leaflet) and the admin's OpenLayers both read these
URLs, so there is one code path for every map. The version is the archive's
ETag: a page names the current one, and a tile under it may be kept for a year.

``/basemap/basemap.pmtiles``: the archive itself with HTTP range requests
(206, 416), for PMTiles clients and for checking; deploy/nginx.conf serves the
same file directly.

Nothing here is logged or kept: which tiles a visitor fetches tells where they
are looking (deploy/nginx.conf turns off the access log for /basemap/ too).
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from orgs.basemap import archive as archives
from orgs.basemap.archive import MAX_ZOOM, Archive

MVT = "application/vnd.mapbox-vector-tile"
YEAR = "public, max-age=31536000, immutable"
# A tile under an old version (a page opened before a rebuild) is answered
# from the current archive, but not kept long.
SHORT = "public, max-age=300"
ARCHIVE_CACHE = "public, max-age=86400"
CHUNK = 64 * 1024
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _not_found(message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=404)


@require_safe
def tile(request: HttpRequest, version: str, z: int, x: int, y: int) -> HttpResponse:
    archive = archives.current()
    if archive is None:
        return _not_found(_("There is no basemap on this server."))
    if not archive.min_zoom <= z <= min(archive.max_zoom, MAX_ZOOM) or x >= 1 << z or y >= 1 << z:
        return _not_found(_("There is no basemap tile at this zoom and position."))
    etag = f'"{archive.etag}-{z}-{x}-{y}"'
    cache = YEAR if version == archive.etag else SHORT
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponse(status=304)
    else:
        data = archive.tile(z, x, y)
        if data is None:
            # Open sea or outside the region: an empty tile, not an error.
            response = HttpResponse(status=204)
        elif archive.gzipped_tiles and "gzip" in request.headers.get("Accept-Encoding", ""):
            response = HttpResponse(data, content_type=MVT)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(data) if archive.gzipped_tiles else data, content_type=MVT)
    response["ETag"] = etag
    response["Cache-Control"] = cache
    response["Vary"] = "Accept-Encoding"
    return response


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The first and last byte of a single ``bytes=`` range, or None when it
    cannot be satisfied. Several ranges in one request are not served (no
    PMTiles client asks for them)."""
    match = RANGE_RE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":
        length = int(last)
        if length == 0:
            return None
        return max(0, size - length), size - 1
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return None
    return start, end


def _stream(archive: Archive, start: int, end: int) -> Iterator[bytes]:
    position = start
    while position <= end:
        chunk = archive.read(position, min(CHUNK, end - position + 1))
        if not chunk:
            return
        position += len(chunk)
        yield chunk


@require_safe
def archive_file(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    archive = archives.current()
    if archive is None:
        return _not_found(_("There is no basemap on this server."))
    etag = f'"{archive.etag}"'
    headers = {
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Cache-Control": ARCHIVE_CACHE,
        "Content-Type": "application/vnd.pmtiles",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponse(status=304, headers=headers)
    requested = request.headers.get("Range")
    # If-Range: a range of another version of the file would mix two files.
    if requested and request.headers.get("If-Range", etag) != etag:
        requested = None
    if not requested:
        start, end, status = 0, archive.size - 1, 200
    else:
        satisfiable = _parse_range(requested, archive.size)
        if satisfiable is None:
            return HttpResponse(status=416, headers={**headers, "Content-Range": f"bytes */{archive.size}"})
        (start, end), status = satisfiable, 206
        headers["Content-Range"] = f"bytes {start}-{end}/{archive.size}"
    headers["Content-Length"] = str(end - start + 1)
    if request.method == "HEAD":
        return HttpResponse(status=status, headers=headers)
    return StreamingHttpResponse(_stream(archive, start, end), status=status, headers=headers)
