from __future__ import annotations

from django.contrib.postgres.operations import (
    BtreeGistExtension,
    CreateExtension,
    TrigramExtension,
    UnaccentExtension,
)
from django.db import migrations


class Migration(migrations.Migration):
    """The PostgreSQL extensions the project relies on: PostGIS for geography,
    pg_trgm for typo-tolerant names, unaccent for folding, btree_gist for
    composite (category, position) GiST indexes."""

    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [
        CreateExtension("postgis"),
        TrigramExtension(),
        UnaccentExtension(),
        BtreeGistExtension(),
    ]
