"""What an import reports: each error and warning with its file, line and
reason, and the counts of what was created, updated, left or skipped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from orgs.hsds.tabular import Source

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Issue:
    level: str
    source: Source
    entity: str
    id: str
    reason: str

    def __str__(self) -> str:
        what = f"{self.entity} {self.id}".strip()
        return f"{self.source}: {what}: {self.reason}" if what else f"{self.source}: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    dry_run: bool = False
    atomic: bool = False
    rolled_back: bool = False
    seconds: float = 0.0

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())

    def summary(self) -> str:
        def fmt(counter: Counter[str]) -> str:
            parts = ", ".join(f"{k} {n}" for k, n in sorted(counter.items()) if n)
            return f"{sum(counter.values())}" + (f" ({parts})" if parts else "")

        mode = "dry run, nothing written: would have " if self.dry_run else ""
        if self.rolled_back and not self.dry_run:
            mode = "rolled back (--atomic and errors), nothing written: would have "
        return (
            f"{self.rows} rows; {mode}created {fmt(self.created)}; updated {fmt(self.updated)}; "
            f"unchanged {fmt(self.unchanged)}; skipped {fmt(self.skipped)}; "
            f"{len(self.errors)} errors, {len(self.warnings)} warnings"
        )
