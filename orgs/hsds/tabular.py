"""HSDS data in its tabular form: one table per entity (organizations,
locations, services, …), each row flat, linked by ids.

Every input (nested JSON objects, a page of them, the tabular JSON, NDJSON,
a CSV data package) is turned into these tables before the importer reads
it, and the CSV export is written from them. Each row remembers where it came
from (file, line, JSON path) so that every problem can be reported there.
"""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orgs.hsds import spec

# A nested array property -> the entity of its items.
ARRAY_CHILDREN = {
    "phones": "phone",
    "schedules": "schedule",
    "service_areas": "service_area",
    "service_at_locations": "service_at_location",
    "languages": "language",
    "funding": "funding",
    "cost_options": "cost_option",
    "required_documents": "required_document",
    "contacts": "contact",
    "attributes": "attribute",
    "metadata": "metadata",
    "locations": "location",
    "programs": "program",
    "organization_identifiers": "organization_identifier",
    "addresses": "address",
    "accessibility": "accessibility",
    # our JSON export's envelope
    "organizations": "organization",
    "services": "service",
    "taxonomies": "taxonomy",
    "taxonomy_terms": "taxonomy_term",
}
# A nested object property -> (its entity, the parent's column that refers to it).
OBJECT_CHILDREN = {
    "organization": ("organization", "organization_id"),
    "program": ("program", "program_id"),
    "location": ("location", "location_id"),
    "service": ("service", "service_id"),
    "taxonomy_term": ("taxonomy_term", "taxonomy_term_id"),
    "taxonomy_detail": ("taxonomy", "taxonomy_id"),
}
# Alternative file names seen in the wild (the API path is plural).
FILE_ALIASES = {"service_at_locations.csv": "service_at_location"}


@dataclass(frozen=True)
class Source:
    file: str
    line: int | None = None
    pointer: str = ""

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return where + (f" ({self.pointer})" if self.pointer else "")


@dataclass
class Row:
    entity: str
    data: dict[str, Any]
    source: Source
    # Set by the coalition template: its coordinates are true ones (to be
    # blurred for protected locations), not the public ones an HSDS file carries.
    true_position: bool = False

    @property
    def id(self) -> str:
        value = self.data.get("id", "")
        return value if type(value) is str else str(value)


@dataclass
class Tables:
    rows: dict[str, dict[str, Row]] = field(default_factory=dict)
    # Problems found while reading (a file that is not JSON, an unknown column).
    notes: list[tuple[str, Source, str]] = field(default_factory=list)  # (level, source, message)
    _anonymous: int = 0

    def add(self, row: Row) -> None:
        table = self.rows.setdefault(row.entity, {})
        key = row.id
        if not key:
            self._anonymous += 1
            key = f"#no-id-{self._anonymous}"
        existing = table.get(key)
        if existing is None:
            table[key] = row
            return
        # The same object nested in several places (a phone under a service and
        # under its location): one row with every link.
        for name, value in row.data.items():
            existing.data.setdefault(name, value)

    def of(self, entity: str) -> list[Row]:
        return list(self.rows.get(entity, {}).values())

    def count(self) -> int:
        return sum(len(t) for t in self.rows.values())

    def note(self, level: str, source: Source, message: str) -> None:
        self.notes.append((level, source, message))


# --- many objects at once ----------------------------------------------------------------

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block. Reading and
    importing a large file make hundreds of thousands of small objects that
    live until the end; the collector walked them again and again, a fifth to
    a third of an import's time. Their garbage has no cycles to speak of (it is
    freed as it goes); the collector runs again after the outermost block."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


# --- JSON -----------------------------------------------------------------------------

_ID_RE = re.compile(r'"id"\s*:\s*"([^"\\]*)"')


def _id_lines(text: str) -> dict[str, int]:
    """The line of each object's first ``"id": "…"`` in the file (JSON parsers forget lines)."""
    lines: dict[str, int] = {}
    line, pos = 1, 0
    for match in _ID_RE.finditer(text):
        line += text.count("\n", pos, match.start())
        pos = match.start()
        lines.setdefault(match.group(1), line)
    return lines


def guess_entity(obj: dict[str, Any]) -> str | None:
    """Which HSDS object a bare JSON object is (files do not say)."""
    keys = set(obj)
    if "location_type" in keys:
        return "location"
    if keys & {"status", "service_at_locations", "minimum_age", "maximum_age", "program_id", "eligibility_description"}:
        return "service"
    if keys & {
        "locations",
        "organization_identifiers",
        "legal_status",
        "tax_id",
        "website",
        "year_incorporated",
        "funding",
        "programs",
        "tax_status",
        "parent_organization_id",
    }:
        return "organization"
    if ("location" in keys or "location_id" in keys or "service_id" in keys) and "name" not in keys:
        return "service_at_location"
    if keys & {"code", "parent_id", "taxonomy", "taxonomy_id", "taxonomy_detail", "term_uri", "language"}:
        return "taxonomy_term"
    if keys & {"uri", "version"} and keys <= {"id", "name", "description", "uri", "version", "metadata"}:
        return "taxonomy"
    if {"id", "name"} <= keys:
        return "organization"
    return None


def flatten(obj: dict[str, Any], entity: str, tables: Tables, source: Source, lines: dict[str, int]) -> str | None:
    """Add ``obj`` and everything nested in it to ``tables``; returns its id."""
    columns = spec.tabular_tables().get(entity, {}).get("columns", {})
    data: dict[str, Any] = {}
    oid = obj.get("id")
    here = Source(source.file, lines.get(str(oid), source.line) if oid else source.line, source.pointer)
    for name, value in obj.items():
        if isinstance(value, list) and name in ARRAY_CHILDREN and all(isinstance(v, dict) for v in value):
            child_entity = ARRAY_CHILDREN[name]
            for i, child in enumerate(value):
                child = dict(child)
                _link_child(child, child_entity, entity, oid)
                flatten(
                    child, child_entity, tables, Source(source.file, here.line, f"{source.pointer}/{name}/{i}"), lines
                )
        elif isinstance(value, dict) and name in OBJECT_CHILDREN:
            child_entity, column = OBJECT_CHILDREN[name]
            child_id = flatten(
                value, child_entity, tables, Source(source.file, here.line, f"{source.pointer}/{name}"), lines
            )
            if child_id is not None:
                data.setdefault(column, child_id)
        elif isinstance(value, (list, dict)):
            tables.note("warning", here, f"{entity}.{name} is not an HSDS field of this object; ignored")
        else:
            data[name] = value
    unknown = [n for n in data if columns and n not in columns]
    for name in unknown:
        tables.note("warning", here, f"{entity}.{name} is not an HSDS field; ignored")
        del data[name]
    tables.add(Row(entity, data, here))
    return str(oid) if oid is not None else None


def _link_child(child: dict[str, Any], child_entity: str, parent_entity: str, parent_id: Any) -> None:
    if parent_id is None:
        return
    if child_entity == "attribute":
        child.setdefault("link_id", parent_id)
        child.setdefault("link_entity", parent_entity)
        return
    if child_entity == "metadata":
        child.setdefault("resource_id", parent_id)
        child.setdefault("resource_type", parent_entity)
        return
    column = f"{parent_entity}_id"
    if column in spec.tabular_tables().get(child_entity, {}).get("columns", {}):
        child.setdefault(column, parent_id)


def tables_from_json_text(text: str, file: str, tables: Tables | None = None) -> Tables:
    tables = tables or Tables()
    lines = _id_lines(text)
    stripped = text.lstrip()
    try:
        docs: list[Any] = [json.loads(text)]
    except json.JSONDecodeError as exc:
        # NDJSON: one object a line.
        if stripped.startswith("{") and "\n" in stripped.strip():
            docs = []
            for n, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    docs.append(json.loads(line))
                except json.JSONDecodeError as line_exc:
                    tables.note("error", Source(file, n), f"not JSON: {line_exc.msg}")
        else:
            tables.note("error", Source(file, exc.lineno), f"not JSON: {exc.msg} (column {exc.colno})")
            return tables
    for doc in docs:
        _add_document(doc, file, tables, lines)
    return tables


def _add_document(doc: Any, file: str, tables: Tables, lines: dict[str, int]) -> None:
    src = Source(file, 1, "")
    if isinstance(doc, list):
        _add_items(doc, file, tables, lines, "")
        return
    if not isinstance(doc, dict):
        tables.note("error", src, "expected a JSON object or a list of objects")
        return
    if "contents" in doc and isinstance(doc["contents"], list):
        _add_items(doc["contents"], file, tables, lines, "/contents")
        return
    if doc and all(isinstance(k, str) and k.endswith(".csv") for k in doc):  # the tabular JSON form
        by_file = {**spec.table_by_file(), **FILE_ALIASES}
        for name, items in doc.items():
            entity = by_file.get(name)
            if entity is None or not isinstance(items, list):
                tables.note("warning", src, f"{name} is not an HSDS table; ignored")
                continue
            columns = spec.tabular_tables()[entity]["columns"]
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    # CSV in JSON clothes: a number in a text column is its text, as in a CSV cell.
                    item = {
                        k: _as_text(v) if columns.get(k, {}).get("type") == "string" else v for k, v in item.items()
                    }
                    flatten(item, entity, tables, Source(file, 1, f"/{name}/{i}"), lines)
        return
    envelope = [k for k in doc if k in ARRAY_CHILDREN and isinstance(doc[k], list)]
    if envelope and "id" not in doc:
        for key in envelope:
            for i, item in enumerate(doc[key]):
                if isinstance(item, dict):
                    flatten(item, ARRAY_CHILDREN[key], tables, Source(file, 1, f"/{key}/{i}"), lines)
        return
    if "id" not in doc and {"version", "openapi_url"} & set(doc):
        tables.note("info", src, "HSDS API metadata: nothing to import")
        return
    _add_items([doc], file, tables, lines, "", single=True)


def _as_text(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _add_items(
    items: list[Any], file: str, tables: Tables, lines: dict[str, int], prefix: str, single: bool = False
) -> None:
    for i, item in enumerate(items):
        pointer = prefix if single else f"{prefix}/{i}"
        if not isinstance(item, dict):
            tables.note("error", Source(file, 1, pointer), "expected an HSDS object")
            continue
        entity = guess_entity(item)
        line = lines.get(str(item.get("id")), 1)
        if entity is None:
            tables.note("error", Source(file, line, pointer), "cannot tell which HSDS object this is")
            continue
        flatten(item, entity, tables, Source(file, line, pointer), lines)


# --- CSV ------------------------------------------------------------------------------


def _coerce(value: str, field_schema: dict[str, Any]) -> Any:
    """A CSV cell as the JSON type the schema expects (left as text when it
    does not parse, so that validation reports it)."""
    kind = field_schema.get("type")
    if kind in ("number", "integer"):
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() else number
    if kind == "boolean":
        lowered = value.strip().lower()
        if lowered in {"true", "1", "yes"}:
            return True
        if lowered in {"false", "0", "no"}:
            return False
    return value


def tables_from_csv_text(text: str, file: str, entity: str, tables: Tables | None = None) -> Tables:
    tables = tables or Tables()
    columns = spec.tabular_tables()[entity]["columns"]
    # An empty cell is an absent value, except in a required text column
    # (an address's postal_code), where it is the empty text.
    keep_empty = {c for c in spec.tabular_tables()[entity]["required"] if columns[c].get("type") == "string"}
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return tables
    header = [h.strip() for h in header]
    for name in header:
        if name and name not in columns:
            tables.note("warning", Source(file, 1), f"column {name!r} is not an HSDS column of {file}; ignored")
    # The header's names that are columns of this table (None for the others),
    # and the columns read as numbers or booleans (the rest stay as read).
    names = [name if name in columns else None for name in header]
    typed = [
        (name, columns[name])
        for name in dict.fromkeys(n for n in names if n)
        if columns[name].get("type", "string") != "string"
    ]
    line = 2
    for cells in reader:
        start = line
        line = reader.line_num + 1
        if not "".join(cells).strip():
            continue
        data = {
            name: cell
            for name, cell in zip(names, cells, strict=False)
            if name is not None and (cell != "" or name in keep_empty)
        }
        for name, schema in typed:
            if name in data:
                data[name] = _coerce(data[name], schema)
        tables.add(Row(entity, data, Source(file, start)))
    return tables


# --- packages: a directory, a zip, a single file ----------------------------------------


def read_files(path: Path) -> dict[str, str]:
    """File name -> text, for a directory, a .zip or a single file."""
    if path.is_dir():
        return {p.name: p.read_text(encoding="utf-8-sig") for p in sorted(path.iterdir()) if p.is_file()}
    if path.suffix.lower() == ".zip":
        return read_zip(path.read_bytes())
    return {path.name: path.read_text(encoding="utf-8-sig")}


def read_zip(data: bytes) -> dict[str, str]:
    files: dict[str, str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.is_dir() or info.file_size > 500_000_000:
                continue
            files[Path(info.filename).name] = archive.read(info).decode("utf-8-sig")
    return files


def tables_from_files(files: dict[str, str]) -> Tables:
    """Every HSDS table in these files (CSV by their standard names, JSON and NDJSON)."""
    with collector_paused():
        return _tables_from_files(files)


def _tables_from_files(files: dict[str, str]) -> Tables:
    from orgs.hsds import template

    tables = Tables()
    by_file = {**spec.table_by_file(), **FILE_ALIASES}
    for name, text in sorted(files.items()):
        lower = name.lower()
        if lower == "datapackage.json":
            try:
                json.loads(text)
            except json.JSONDecodeError:
                tables.note(
                    "warning", Source(name), "not a JSON data package; the CSV files are read by their HSDS names"
                )
            continue
        if lower.endswith((".json", ".ndjson", ".jsonl")):
            tables_from_json_text(text, name, tables)
        elif lower.endswith(".csv"):
            entity = by_file.get(lower)
            if entity is not None:
                tables_from_csv_text(text, name, entity, tables)
            elif template.is_template(text):
                template.tables_from_template(text, name, tables)
            else:
                tables.note("warning", Source(name), "not an HSDS table (see docs/hsds.md for the file names); ignored")
        else:
            tables.note("warning", Source(name), "neither JSON nor CSV; ignored")
    return tables


# --- writing the CSV data package (export) -------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv_package(tables: Tables, directory: Path, entities: Iterable[str]) -> list[Path]:
    """One CSV per table (every HSDS column, rows sorted by id) and a datapackage.json."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    resources = []
    for entity in entities:
        table = spec.tabular_tables()[entity]
        columns = list(table["columns"])
        rows = sorted(tables.of(entity), key=lambda r: r.id)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.data.get(c)) for c in columns])
        path = directory / table["file"]
        path.write_text(out.getvalue(), encoding="utf-8")
        written.append(path)
        fields = []
        for name, col in table["columns"].items():
            entry = {"name": name, "type": "number" if col.get("type") == "number" else col.get("type", "string")}
            if col.get("format"):
                entry["format"] = col["format"]
            fields.append(entry)
        resources.append(
            {
                "name": entity,
                "path": table["file"],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": "id"},
            }
        )
    package = {
        "name": "help-locator-hsds",
        "title": "Help Locator directory (HSDS 3 tabular data package)",
        "profile": "tabular-data-package",
        "resources": resources,
    }
    path = directory / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    written.append(path)
    return written
