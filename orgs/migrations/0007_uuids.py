from __future__ import annotations

import uuid

from django.db import migrations, models

MODELS = ["category", "targetgroup", "organisation", "location", "service", "serviceatlocation"]


def fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    # One fresh UUID per existing row (a column default would give them all the same one).
    for name in MODELS:
        model = apps.get_model("orgs", name)
        for pk in model.objects.values_list("pk", flat=True):
            model.objects.filter(pk=pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_cluster_cells_and_document")]

    operations = [
        *[migrations.AddField(name, "uuid", models.UUIDField(null=True, editable=False)) for name in MODELS],
        migrations.RunPython(fill, migrations.RunPython.noop),
        *[
            migrations.AlterField(name, "uuid", models.UUIDField(default=uuid.uuid4, unique=True, editable=False))
            for name in MODELS
        ],
    ]
