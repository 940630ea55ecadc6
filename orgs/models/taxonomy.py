"""How services are classified: the category tree and the target groups."""

from __future__ import annotations

import uuid

from django.contrib.gis.db import models
from django.db.models import F, Q


class Category(models.Model):
    """A service category; a hierarchy (a filter on a category includes its children)."""

    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_uk = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.TextField(blank=True, help_text="Where this category comes from (a seed document).")

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name_ru


class TargetGroup(models.Model):
    """Who the help is for."""

    # Stable public identifier (the HSDS id); never reused, survives export and import.
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name_ru = models.CharField(max_length=200)
    name_en = models.CharField(max_length=200)
    name_uk = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_ru
