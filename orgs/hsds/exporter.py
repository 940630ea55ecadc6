"""Exporting the published directory as HSDS: one JSON document and the
tabular (CSV) data package. Deterministic: the same directory gives
byte-identical files (ids are stable, items and rows are sorted by id, and
nothing records when the export ran), which is what makes the
export → import → export round trip checkable."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from orgs.hsds import selectors as hs
from orgs.hsds import serialize as ser
from orgs.hsds import vocab
from orgs.hsds.spec import HSDS_VERSION
from orgs.hsds.tabular import Source, Tables, flatten, write_csv_package

JSON_NAME = "hsds.json"
CSV_DIR = "csv"
# The tables the export fills (every HSDS column is written, empty when unknown).
CSV_TABLES = (
    "organization",
    "organization_identifier",
    "location",
    "address",
    "phone",
    "schedule",
    "language",
    "accessibility",
    "service",
    "service_area",
    "service_at_location",
    "cost_option",
    "attribute",
    "taxonomy",
    "taxonomy_term",
)
CHUNK = 500


@dataclass
class ExportResult:
    organizations: int = 0
    services: int = 0
    files: list[Path] = field(default_factory=list)


def directory_document(*, progress: bool = False) -> dict[str, Any]:
    """The whole published directory as one HSDS JSON document: taxonomies,
    taxonomy terms, fully nested organizations and fully nested services."""
    voc = ser.Vocabulary.load()
    orgs = hs.organisations(full=True)
    services = hs.services(full=True)
    bar = tqdm(total=orgs.count() + services.count(), unit="item", desc="export", disable=not progress, leave=False)
    organizations = [_tick(bar, ser.organization(o, voc, full=True)) for o in _chunks(orgs)]
    service_items = [_tick(bar, ser.service(s, voc, full=True)) for s in _chunks(services)]
    bar.close()
    return {
        "version": HSDS_VERSION,
        "taxonomies": [t.as_hsds() for t in sorted(vocab.TAXONOMIES, key=lambda t: t.id)],
        "taxonomy_terms": voc.terms(),
        "organizations": organizations,
        "services": service_items,
    }


def _tick(bar: Any, item: dict[str, Any]) -> dict[str, Any]:
    bar.update(1)
    return item


def _chunks(qs: Any) -> Iterator[Any]:
    # Prefetches run per chunk: memory and queries stay bounded on a large directory.
    yield from qs.iterator(chunk_size=CHUNK)


def document_tables(document: dict[str, Any]) -> Tables:
    tables = Tables()
    for key, entity in (
        ("taxonomies", "taxonomy"),
        ("taxonomy_terms", "taxonomy_term"),
        ("organizations", "organization"),
        ("services", "service"),
    ):
        for item in document.get(key, []):
            flatten(item, entity, tables, Source("export"), {})
    return tables


def export_directory(
    *, directory: Path, formats: Iterable[str] = ("json", "csv"), progress: bool = False
) -> ExportResult:
    document = directory_document(progress=progress)
    directory.mkdir(parents=True, exist_ok=True)
    result = ExportResult(organizations=len(document["organizations"]), services=len(document["services"]))
    formats = set(formats)
    if "json" in formats:
        path = directory / JSON_NAME
        path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        result.files.append(path)
    if "csv" in formats:
        result.files += write_csv_package(document_tables(document), directory / CSV_DIR, CSV_TABLES)
    return result
