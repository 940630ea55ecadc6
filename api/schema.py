"""The OpenAPI schema view: ``?format=json`` gives JSON.

drf-spectacular reads the format from the query string through DRF's
URL_FORMAT_OVERRIDE, which this API turns off ("format" is a search filter
here), so ``/api/schema/?format=json`` answered YAML. The Accept header
still chooses as before; YAML stays the default.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer
from drf_spectacular.views import SpectacularAPIView
from rest_framework.request import Request

FORMATS = {"json": OpenApiJsonRenderer, "yaml": OpenApiYamlRenderer}


class SchemaView(SpectacularAPIView):
    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        renderer = FORMATS.get(request.query_params.get("format", ""))
        if renderer is not None:
            chosen = renderer()
            return chosen, chosen.media_type
        return super().perform_content_negotiation(request, force)
