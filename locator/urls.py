from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("basemap/", include("orgs.basemap.urls")),
    path("", include("frontend.urls")),
]

# Error pages in the site's frame and the visitor's language; JSON under /api/ (frontend/errors.py).
handler400 = "frontend.errors.bad_request"
handler403 = "frontend.errors.permission_denied"
handler404 = "frontend.errors.page_not_found"
handler500 = "frontend.errors.server_error"
