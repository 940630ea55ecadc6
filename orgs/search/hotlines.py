"""Free national hotlines as data (fixtures/hotlines.json, or the file
HOTLINES_FIXTURE points at): which lines fit a country and a need.

A file, not a table: the lines are few, change with a deployment rather than
with partners' edits, and must be there even when the database is not (the
error pages show the crisis strip too)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.utils import translation


@dataclass(frozen=True)
class Hotline:
    key: str
    number: str
    names: dict[str, str]
    countries: tuple[str, ...]
    any_need: bool
    categories: frozenset[str]
    target_groups: frozenset[str]
    # Shown in the crisis strip whatever was searched (a children's helpline
    # also answers a frightened parent who has not searched yet).
    for_everyone: bool
    source: str
    last_checked: str

    def name(self, lang: str | None = None) -> str:
        lang = (lang or translation.get_language() or "ru")[:2]
        return self.names.get(lang) or self.names.get("ru") or self.number

    def fits(self, *, categories: Iterable[str], target_groups: Iterable[str]) -> bool:
        return bool(self.categories.intersection(categories) or self.target_groups.intersection(target_groups))

    def as_dict(self, lang: str | None = None) -> dict[str, str]:
        return {"key": self.key, "number": self.number, "name": self.name(lang), "last_checked": self.last_checked}


def fixture_path() -> Path:
    return Path(getattr(settings, "HOTLINES_FIXTURE", Path(settings.BASE_DIR) / "fixtures" / "hotlines.json"))


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> tuple[Hotline, ...]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    lines = []
    for row in data["lines"]:
        needs = row.get("needs", "any")
        any_need = needs == "any"
        lines.append(
            Hotline(
                key=row["key"],
                number=row["number"],
                names={lang: row[f"name_{lang}"] for lang in ("ru", "en", "uk") if row.get(f"name_{lang}")},
                countries=tuple(row["countries"]),
                any_need=any_need,
                categories=frozenset(() if any_need else needs.get("categories", ())),
                target_groups=frozenset(() if any_need else needs.get("target_groups", ())),
                for_everyone=any_need or bool(row.get("for_everyone")),
                source=row["source"],
                last_checked=row["last_checked"],
            )
        )
    return tuple(lines)


def all_hotlines() -> tuple[Hotline, ...]:
    path = fixture_path()
    # Keyed by the file's modification time: an edited file is read again
    # without a restart.
    return _load(str(path), path.stat().st_mtime)


def hotlines_for(
    *, country: str | None, categories: Iterable[str] = (), target_groups: Iterable[str] = ()
) -> list[Hotline]:
    """The lines of ``country`` that fit the need, those for this need first,
    then the lines for any need. With no need given, the lines meant for
    everyone. ``country=None`` (not known): none, rather than another
    country's numbers."""
    if not country:
        return []
    categories, target_groups = list(categories), list(target_groups)
    here = [line for line in all_hotlines() if country in line.countries]
    if not categories and not target_groups:
        return [line for line in here if line.for_everyone]
    specific = [
        line for line in here if not line.any_need and line.fits(categories=categories, target_groups=target_groups)
    ]
    general = [line for line in here if line.any_need]
    return specific + general


def default_country() -> str:
    """The deployment's country (HOTLINES_COUNTRY): the crisis strip's lines
    before any search, whatever the interface language (a Ukrainian-speaking
    visitor in Russia still needs the Russian numbers)."""
    return str(getattr(settings, "HOTLINES_COUNTRY", "RU"))
