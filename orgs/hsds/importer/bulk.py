"""The database side of an import: reading existing records by an array of
ids in one query, and writing new and changed rows with ``COPY``."""

from __future__ import annotations

import datetime as dt
import functools
import operator
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.gis.db.models import GeometryField
from django.db import connection, models
from django.db.models.expressions import RawSQL
from django.utils import timezone

from orgs.search import index as search_index


def valid_uuids(values: Iterable[str]) -> list[str]:
    found = []
    for value in values:
        try:
            found.append(str(uuid.UUID(str(value))))
        except ValueError:
            continue
    return found


def any_of(model: type[models.Model], column: str, values: Iterable[Any], sql_type: str = "bigint") -> RawSQL:
    """A filter ``column = ANY(array)``: one parameter however many values
    (``__in`` binds one each, and building that statement cost more than
    running it), and a plan that stays linear however stale the table's
    statistics (an index scan, or a hashed lookup in the array)."""
    quote = connection.ops.quote_name
    sql = f"{quote(model._meta.db_table)}.{quote(column)} = ANY(%s::{sql_type}[])"
    return RawSQL(sql, [list(values)], output_field=models.BooleanField())  # noqa: S611 - names from the model


def by_uuid(queryset: models.QuerySet[Any], uuids: Iterable[str]) -> dict[str, Any]:
    """uuid -> object for these uuids (malformed ones match nothing), in one query."""
    wanted = valid_uuids(set(uuids))
    if not wanted:
        return {}
    rows = queryset.filter(any_of(queryset.model, "uuid", wanted, "uuid"))
    return {str(getattr(obj, "uuid")): obj for obj in rows}  # noqa: B009 - every model imported here has one


def _copy_values(fields: list[models.Field[Any, Any]], add: bool) -> Callable[[Any], list[Any]]:
    """A function giving an object's column values for COPY, as bulk_create and
    bulk_update would send them: auto_now stamps set on creation (one for the
    whole batch), a geometry as hex EWKB, anything else that is not a plain
    value prepared by its field."""
    plain = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.BooleanField,
        models.FloatField,
        models.UUIDField,
    )
    now = timezone.now()
    getters: list[Callable[[Any], Any]] = []
    for f in fields:
        if isinstance(f, plain) or (f.is_relation and f.concrete):
            getters.append(operator.attrgetter(f.attname))  # the value is its own database value
        elif add and isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
            getters.append(functools.partial(_stamped, f.attname, now))  # one "now" for the batch
        elif isinstance(f, GeometryField):
            getters.append(functools.partial(_geometry, f))
        elif add:
            getters.append(functools.partial(_prepared_on_create, f))
        else:
            getters.append(functools.partial(_prepared, f))
    return lambda obj: [get(obj) for get in getters]


def _stamped(attname: str, now: dt.datetime, obj: Any) -> dt.datetime:
    setattr(obj, attname, now)
    return now


def _geometry(field: GeometryField, obj: Any) -> Any:
    """A geometry as hex EWKB, which a geometry or geography column reads as it is."""
    value = getattr(obj, field.attname)
    if value is None or value.srid is None:
        return _prepared(field, obj)
    return value.hexewkb.decode()


def copy_rows(model: type[models.Model], names: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Plain rows (ids, numbers, times) into a model's table through COPY: its id from its sequence."""
    if not rows:
        return
    columns = ", ".join(_column(model._meta.get_field(name)) for name in names)
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _prepared_on_create(field: models.Field[Any, Any], obj: Any) -> Any:
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def _prepared(field: models.Field[Any, Any], obj: Any) -> Any:
    return field.get_db_prep_save(getattr(obj, field.attname), connection)


def _column(f: Any) -> str:
    return connection.ops.quote_name(str(f.column))


def copy_create(model: type[models.Model], objs: list[Any]) -> None:
    """bulk_create through COPY (psycopg 3): the primary keys are drawn from
    the table's sequence first, so the objects know them, as after bulk_create.
    A row the database refuses fails the whole COPY (the caller then finds it:
    it only needs to copy the object again, which draws it a new key). Unlike
    bulk_create, the objects are not marked as saved (that is Django's private
    ``_state``): the import never saves them again, it writes by COPY."""
    if not objs:
        return
    meta = model._meta
    fields = list(meta.concrete_fields)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objs)],
        )
        for obj, (pk,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk
        values = _copy_values(fields, add=True)
        columns = ", ".join(_column(f) for f in fields)
        with (
            connection.wrap_database_errors,
            cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
        ):
            for obj in objs:
                copy.write_row(values(obj))


def copy_update(model: type[models.Model], objs: list[Any], names: list[str]) -> None:
    """bulk_update through COPY: the new values into a temporary table shaped
    like the model's, then one UPDATE … FROM (Django's bulk_update sends a CASE
    per column with a branch per row, which grows with the square of a batch)."""
    if not objs or not names:
        return
    meta = model._meta
    fields: list[Any] = [meta.pk, *(meta.get_field(name) for name in names)]
    quote = connection.ops.quote_name
    table, temp = quote(meta.db_table), quote(f"hsds_import_{meta.db_table}")
    columns = ", ".join(_column(f) for f in fields)
    assignments = ", ".join(f"{_column(f)} = u.{_column(f)}" for f in fields[1:])
    values = _copy_values(fields, add=False)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {temp} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608
        )
        with connection.wrap_database_errors, cursor.copy(f"COPY {temp} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row(values(obj))
        pk = _column(meta.pk)
        search_index.analyze_understated(cursor, [meta.db_table], len(objs))
        cursor.execute(f"UPDATE {table} t SET {assignments} FROM {temp} u WHERE t.{pk} = u.{pk}")  # noqa: S608
        cursor.execute(f"DROP TABLE {temp}")
