"""The offline gazetteer: towns and cities from GeoNames, for place search,
service areas and the city-only position of protected locations."""

from __future__ import annotations

from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex

from orgs.models.base import COUNTRY_CODE, validate_point_in_range


class Place(models.Model):
    """A city or town from GeoNames (loaded by ``manage.py load_gazetteer``)."""

    geonameid = models.BigIntegerField(primary_key=True)
    name = models.CharField(max_length=200, help_text="GeoNames' Latin name")
    name_ru = models.CharField(max_length=200, blank=True)
    country_code = models.CharField(max_length=2, validators=[COUNTRY_CODE])
    admin1_code = models.CharField(max_length=20, blank=True)
    population = models.PositiveIntegerField(default=0)
    timezone = models.CharField(max_length=64, blank=True)
    point = models.PointField(geography=True, validators=[validate_point_in_range])
    # Every name (Latin, Cyrillic, other spellings) lower-cased with ё folded to
    # е; exact look-ups use the array, typo-tolerant ones the trigram index on
    # the joined text.
    names = ArrayField(models.CharField(max_length=200), default=list)
    search_text = models.TextField(default="")

    class Meta:
        indexes = [
            GinIndex(fields=["names"], name="place_names_gin"),
            GinIndex(fields=["search_text"], name="place_search_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.name_ru or self.name} ({self.country_code})"

    @property
    def region_code(self) -> str:
        return f"{self.country_code}.{self.admin1_code}" if self.admin1_code else self.country_code
