"""The HSDS 3 JSON Schemas, made strict, and validators built from them.

The specification's own example check sets ``additionalProperties: false`` on
every object of a schema before validating: an unknown field is an error, not
a silent extension. ``strict()`` does the same, recursively, so what this
project serves and exports is checked the way a careful consumer checks it.

Two sources: the full specification (``orgs/hsds/spec/official``: compiled object
schemas and the OpenAPI description; used by the tests) and the bundled copy
of the compiled tabular schema (``orgs/hsds/spec/tabular.json``; used by the
importer to check every incoming row, so the product needs no checkout of
the specification).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema

BUNDLED_DIR = Path(__file__).resolve().parent / "spec"
# The official specification (schemas, OpenAPI description, examples), vendored
# from Open Referral's release (see official/SOURCE.md; *_package.json left out).
OFFICIAL_DIR = BUNDLED_DIR / "official"

HSDS_VERSION = "3.0"


def strict(schema: Any) -> Any:
    """A copy of ``schema`` with ``additionalProperties: false`` on every object."""
    schema = copy.deepcopy(schema)
    _make_strict(schema)
    return schema


def _make_strict(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" or "properties" in node:
            node["additionalProperties"] = False
        for value in node.values():
            _make_strict(value)
    elif isinstance(node, list):
        for value in node:
            _make_strict(value)


# --- formats ---------------------------------------------------------------------
# jsonschema checks "uri" and "date-time" only when optional packages are
# installed; these are checked here in every environment.

FORMAT_CHECKER = jsonschema.FormatChecker()


@FORMAT_CHECKER.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    uuid.UUID(value)
    return True


@FORMAT_CHECKER.checks("email")
def _is_email(value: object) -> bool:
    if not isinstance(value, str):
        return True
    local, _, domain = value.rpartition("@")
    return bool(local) and "." in domain and " " not in value


@FORMAT_CHECKER.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in {"mailto", "tel", "urn"}) and " " not in value


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return "T" in value.upper() and parsed.tzinfo is not None


# --- loading ---------------------------------------------------------------------


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def inline_refs(schema: Any, base: Path, depth: int = 0) -> Any:
    """Replace relative ``{"$ref": "x.json"}`` by the referenced file's schema
    (the non-compiled object schemas refer to each other that way)."""
    if depth > 8:
        raise ValueError(f"$ref nesting too deep under {base}")
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and not ref.startswith(("#", "http")):
            target = inline_refs(_read(base / ref), base, depth + 1)
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            return {**target, **extra}
        return {k: inline_refs(v, base, depth) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inline_refs(v, base, depth) for v in schema]
    return schema


@functools.cache
def object_schema(name: str, *, root: Path = OFFICIAL_DIR) -> dict[str, Any]:
    """The strict schema of one HSDS object: ``compiled/<name>.json`` when the
    specification compiles it, otherwise ``<name>.json`` with its references inlined."""
    compiled = root / "schema" / "compiled" / f"{name}.json"
    if compiled.exists():
        return strict(_read(compiled))
    base = root / "schema"
    return strict(inline_refs(_read(base / f"{name}.json"), base))


@functools.cache
def object_validator(name: str, *, root: Path = OFFICIAL_DIR) -> jsonschema.protocols.Validator:
    schema = object_schema(name, root=root)
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def object_errors(name: str, instance: Any, *, root: Path = OFFICIAL_DIR) -> list[str]:
    """Every way ``instance`` breaks the strict schema of ``name``, as "path: message"."""
    found = object_validator(name, root=root).iter_errors(instance)
    return [f"/{'/'.join(str(p) for p in err.absolute_path)}: {err.message}" for err in found]


@functools.cache
def page_schema(*, root: Path = OFFICIAL_DIR) -> dict[str, Any]:
    """The HSDS page wrapper (``components.schemas.Page`` of the OpenAPI
    description) with ``contents``, all of it required and strict."""
    openapi = _read(root / "schema" / "openapi.json")
    page = copy.deepcopy(openapi["components"]["schemas"]["Page"])
    page["properties"]["contents"] = {"type": "array"}
    page["required"] = sorted(page["properties"])
    return strict(page)


# --- the tabular form (what the importer reads) --------------------------------------


@functools.cache
def tabular_tables() -> dict[str, dict[str, Any]]:
    """Each HSDS table by entity name: its file name, its scalar columns with
    their JSON types, and the columns a row must have."""
    tabular = _read(BUNDLED_DIR / "tabular.json")
    tables: dict[str, dict[str, Any]] = {}
    for entity, prop in tabular["properties"].items():
        item = prop["items"]
        columns = {
            name: field
            for name, field in item["properties"].items()
            if field.get("type") not in ("array", "object") and "$ref" not in field
        }
        required = [c for c in [*item.get("required", []), *item.get("tabular_required", [])] if c in columns]
        tables[entity] = {
            "entity": entity,
            "file": item["path"],
            "columns": columns,
            "required": list(dict.fromkeys(required)),
        }
    return tables


def table_by_file() -> dict[str, str]:
    return {table["file"]: entity for entity, table in tabular_tables().items()}


@functools.cache
def row_validator(entity: str) -> jsonschema.protocols.Validator:
    """A strict validator for one flat row of a table (nested arrays are
    separate tables in the tabular form)."""
    table = tabular_tables()[entity]
    schema = {
        "type": "object",
        "properties": {name: _plain(field) for name, field in table["columns"].items()},
        "required": table["required"],
        "additionalProperties": False,
    }
    return jsonschema.Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


class RowChecker:
    """The same checks as ``row_validator`` (types, enums, required columns,
    no unknown columns, the uuid/email/uri/date-time formats), hand-written:
    jsonschema costs about a millisecond a row, too slow for 100k-row files.
    ``tests/test_hsds_import.py`` checks that both agree."""

    _TYPES: dict[str, tuple[type, ...]] = {
        "string": (str,),
        "number": (int, float),
        "integer": (int,),
        "boolean": (bool,),
    }

    def __init__(self, entity: str) -> None:
        table = tabular_tables()[entity]
        self.required = tuple(table["required"])
        self.columns: dict[str, tuple[tuple[type, ...], str | None, frozenset[str] | None]] = {
            name: (
                self._TYPES.get(field.get("type", "string"), (object,)),
                field.get("format"),
                frozenset(field["enum"]) if "enum" in field else None,
            )
            for name, field in table["columns"].items()
        }

    def errors(self, row: dict[str, Any]) -> list[str]:
        found = [f"'{name}' is required" for name in self.required if name not in row]
        for name, value in row.items():
            spec_ = self.columns.get(name)
            if spec_ is None:
                found.append(f"'{name}' is not a column of this table")
                continue
            types, fmt, enum = spec_
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                kind = "number" if int in types else "string" if str in types else "boolean"
                found.append(f"{name}: {value!r} is not of type '{kind}'")
                continue
            if enum is not None and value not in enum:
                found.append(f"{name}: {value!r} is not one of {sorted(enum)}")
            elif fmt is not None and isinstance(value, str) and not FORMAT_CHECKER.conforms(value, fmt):
                found.append(f"{name}: {value!r} is not a '{fmt}'")
        return found


@functools.cache
def row_checker(entity: str) -> RowChecker:
    return RowChecker(entity)


def _plain(field: dict[str, Any]) -> dict[str, Any]:
    keep = {"type", "format", "enum"}
    return {k: v for k, v in field.items() if k in keep}
