"""The site's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from __future__ import annotations

from typing import NoReturn

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import path
from rest_framework.request import Request
from rest_framework.views import APIView

from locator import urls as site

# The site's handlers (Django's defaults where it names none).
handler400 = getattr(site, "handler400", "django.views.defaults.bad_request")
handler403 = getattr(site, "handler403", "django.views.defaults.permission_denied")
handler404 = getattr(site, "handler404", "django.views.defaults.page_not_found")
handler500 = getattr(site, "handler500", "django.views.defaults.server_error")


def crash(request: HttpRequest) -> NoReturn:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> NoReturn:
    raise PermissionDenied


class ApiCrash(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []

    def get(self, request: Request) -> NoReturn:
        raise RuntimeError("a bug in the API")


urlpatterns = [
    path("api/crash/", ApiCrash.as_view()),
    path("crash/", crash),
    path("forbidden/", forbidden),
    *site.urlpatterns,
]
