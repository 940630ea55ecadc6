from __future__ import annotations

from django.urls import path

from orgs.basemap import views

app_name = "basemap"

urlpatterns = [
    path("basemap.pmtiles", views.archive_file, name="archive"),
    path("<str:version>/<int:z>/<int:x>/<int:y>.mvt", views.tile, name="tile"),
]
