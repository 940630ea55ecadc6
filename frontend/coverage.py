"""The coverage page (/coverage/): where help is missing, as a map and tables.

The tables are rendered here from the same selector as GET /api/v1/coverage;
the map's circles come from GET /api/v1/coverage/towns (coverage.js)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from api.coverage import COUNTED, CoverageFilter
from frontend import maps
from frontend import selectors as fs
from frontend.templatetags.frontend_tags import localized
from orgs import models as m
from orgs.coverage import selectors as cov
from orgs.coverage.sql import BAND_KEYS, BANDS_KM

# Colours of the bands, near to far (green to dark red; grey-blue none).
BAND_COLOURS = ("#15803d", "#65a30d", "#ca8a04", "#ea580c", "#dc2626", "#7f1d1d")


def band_labels() -> list[tuple[str, str, str]]:
    """(key, label, colour) per band."""
    out = []
    lower = 0
    for key, colour in zip(BAND_KEYS, BAND_COLOURS, strict=True):
        if key == "beyond":
            label = _("over %(km)s km or none") % {"km": BANDS_KM[-1]}
        else:
            label = _("%(lo)s–%(hi)s km") % {"lo": lower, "hi": key}
            lower = int(key)
        out.append((key, label, colour))
    return out


@require_safe
def coverage(request: HttpRequest) -> HttpResponse:
    found = CoverageFilter(request.GET, queryset=m.CoverageTown.objects.none())
    errors = None if found.is_valid() else found.errors
    query = found.coverage_query() if errors is None else cov.CoverageQuery()
    result = cov.coverage_aggregates(query)
    bands = band_labels()
    rendered = maps.render(maps.new_map(zoom=3))
    params = {k: v for k, v in request.GET.items() if k in CoverageFilter.base_filters and v} if not errors else {}
    config = {
        "towns": reverse("v1:coverage-towns"),
        "params": params,
        "bands": {key: colour for key, _label, colour in bands},
        "messages": {
            "loading": _("Loading the towns…"),
            "failed": _("The towns could not be loaded."),
            "popup": _("{name}: {population} people; nearest help {distance}"),
            "none": _("none in person"),
            "remote": _("remote help available"),
        },
    }
    selected = found.form.cleaned_data if errors is None else {}
    context: dict[str, Any] = {
        "map": rendered,
        "config": config,
        "result": result,
        "bands": bands,
        "errors": errors,
        "counted": COUNTED,
        "categories": fs.category_options(),
        "targets": list(m.TargetGroup.objects.all()),
        "networks": list(m.Network.objects.all()),
        "selected": selected,
        "selected_category": localized(selected["category"], "name") if selected.get("category") else "",
        "csv_url": reverse("v1:coverage-csv") + ("?" + request.GET.urlencode() if params else ""),
        "api_url": reverse("v1:coverage") + ("?" + request.GET.urlencode() if params else ""),
    }
    return render(request, "frontend/coverage.html", context)
