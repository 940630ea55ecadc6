from __future__ import annotations

from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Directory"

    def ready(self) -> None:
        from orgs import signals  # noqa: F401  (connects the receivers)
