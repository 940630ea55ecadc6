"""Benchmark the nearest-help search and the map viewport on synthetic data.

For each size, a database of its own beside the product's (``<db>_bench_<size>``,
created and migrated when missing, the data generated once and reused), then
nearest search with no category, a common one and a rare one, four ways: (a)
the selector's SQL through psycopg, (b) a naive ORDER BY ST_Distance, (c) a
bounding box plus haversine, (d) the HTTP API under gunicorn with concurrent
keep-alive clients, and (e) the same server answering a 404 (the stack's own
ceiling). The viewport endpoint is timed at several zooms on the
largest size. Prints the tables and PASS/FAIL per target of issue #3 and saves
them as Markdown in bench-results/.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from tqdm import tqdm

from orgs.bench import database, report, runners
from orgs.bench.generator import BenchRefused, generate
from orgs.bench.rows import COMMON_CATEGORY, RARE_CATEGORY
from orgs.selectors import category_descendant_ids

DEFAULT_SIZES = "10000,100000,1000000"
QUICK_SIZES = "300,3000"
# The naive full scan takes about a second per query at a million rows: it
# gets this many row-visits in all, and at least a few queries.
NAIVE_BUDGET_ROWS = 5_000_000
NAIVE_MIN_QUERIES = 5
ORIGINS = 2000


def size_list(value: str) -> list[int]:
    try:
        sizes = [int(v.replace("_", "")) for v in value.split(",") if v.strip()]
    except ValueError:
        raise CommandError(f"--sizes takes whole numbers separated by commas, e.g. {DEFAULT_SIZES}") from None
    if not sizes or any(s <= 0 for s in sizes):
        raise CommandError(f"--sizes takes positive numbers, e.g. {DEFAULT_SIZES}")
    return sorted(set(sizes))


class Command(BaseCommand):
    help = "Benchmark nearest search and the map viewport on synthetic data in separate benchmark databases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--sizes", type=size_list, default=None, help=f"Locations per run (default {DEFAULT_SIZES})."
        )
        parser.add_argument("--duration", type=float, default=None, help="Seconds per timed case (default 10).")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent clients for (a), (c), (d) (default 4).")
        parser.add_argument("--quick", action="store_true", help=f"A smoke run: sizes {QUICK_SIZES}, 1 s per case.")
        parser.add_argument("--seed", type=int, default=1, help="Seed of the data and the origins (default 1).")
        parser.add_argument(
            "--database",
            default=None,
            help="Base name of the benchmark databases (default: the product's name + '_bench'); one per size.",
        )
        parser.add_argument("--regenerate", action="store_true", help="Regenerate the data even if cached.")
        parser.add_argument(
            "--coverage",
            action="store_true",
            help="Benchmark the coverage analysis instead (orgs/bench/coverage.py): recompute, incremental, API.",
        )
        parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: its config's).")
        parser.add_argument("--output", default="bench-results", help="Folder for the Markdown results.")
        parser.add_argument(
            "--server-db-options",
            default="",
            help="libpq options for the API server's connections only, e.g. '-c jit=off' (to try a setting).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quick = options["quick"]
        sizes: list[int] = options["sizes"] or size_list(QUICK_SIZES if quick else DEFAULT_SIZES)
        duration: float = options["duration"] or (1.0 if quick else 10.0)
        clients: int = max(1, options["clients"])
        seed: int = options["seed"]
        product_db = str(connection.settings_dict["NAME"])
        base = options["database"] or f"{product_db}_bench"
        try:
            names = {size: database.bench_database_name(base=base, size=size, product_db=product_db) for size in sizes}
        except BenchRefused as exc:
            raise CommandError(str(exc)) from exc

        if options["coverage"]:
            self._coverage(sizes=sizes, names=names, seed=seed, product_db=product_db, force=options["regenerate"])
            return
        started = dt.datetime.now(dt.UTC)
        load_before = os.getloadavg()
        results: report.Results = {}
        viewport: dict[tuple[int, str], runners.Stats] = {}
        datasets = []
        for size in sizes:
            name = names[size]
            self.stdout.write(self.style.MIGRATE_HEADING(f"== {report.size_label(size)} locations in {name}"))
            if database.create_database(name):
                self.stdout.write(f"created database {name}")
            try:
                with database.using_database(name, product_db=product_db):
                    database.prepare(name, verbosity=0)
                    dataset = self._generate(size=size, seed=seed, product_db=product_db, force=options["regenerate"])
                    datasets.append((name, dataset))
                    self.stdout.write(f"prewarm: {database.prewarm()}")
                    ids = self._category_ids()
                    origins = runners.origins_near_towns(count=ORIGINS, seed=seed)
                    centres = runners.origins_near_towns(count=200, seed=seed + 1, spread_km=5)
                    conninfo = database.conninfo(name)
                    versions = self._versions()
            except BenchRefused as exc:
                raise CommandError(str(exc)) from exc
            results[size] = self._nearest(
                size=size, conninfo=conninfo, ids=ids, origins=origins, clients=clients, duration=duration
            )
            largest = size == sizes[-1]
            url = database.database_url(name)
            if options["server_db_options"]:
                url += "?" + urlencode({"options": options["server_db_options"]})
            with runners.gunicorn_server(database_url=url, workers=options["workers"]) as (
                host,
                port,
            ):
                for flt, slug in (("none", None), ("common", COMMON_CATEGORY), ("rare", RARE_CATEGORY)):
                    paths = [runners.nearest_path(o, slug) for o in origins]
                    st = runners.run_load(
                        name="http",
                        make_worker=runners.http_worker(host, port),
                        jobs=paths,
                        clients=clients,
                        duration=duration,
                        warmup=min(2.0, duration / 2),
                    )
                    results[size][flt][report.HTTP] = st
                    self._line(size, flt, report.HTTP, st)
                st = runners.run_load(
                    name="floor",
                    make_worker=runners.http_worker(host, port, status=404),
                    jobs=[runners.FLOOR_PATH],
                    clients=clients,
                    duration=duration,
                    warmup=min(2.0, duration / 2),
                )
                results[size]["none"][report.FLOOR] = st
                self._line(size, "none", report.FLOOR, st)
                if largest:
                    viewport = self._viewport(host=host, port=port, centres=centres, clients=clients, duration=duration)

        self._report(
            results=results,
            viewport=viewport,
            datasets=datasets,
            versions=versions,
            started=started,
            output=Path(options["output"]),
            settings_line=f"duration {duration:g} s per case, {clients} clients, seed {seed}; "
            f"load average {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
            + (f", API server db options {options['server_db_options']!r}" if options["server_db_options"] else ""),
        )

    def _coverage(self, *, sizes: list[int], names: dict[int, str], seed: int, product_db: str, force: bool) -> None:
        from orgs.bench import coverage

        for size in sizes:
            name = names[size]
            self.stdout.write(self.style.MIGRATE_HEADING(f"== coverage, {report.size_label(size)} locations in {name}"))
            database.create_database(name)
            try:
                with database.using_database(name, product_db=product_db):
                    database.prepare(name, verbosity=0)
                    self._generate(size=size, seed=seed, product_db=product_db, force=force)
                    self.stdout.write(f"prewarm: {database.prewarm()}")
                    self.stdout.write(coverage.table(coverage.run(seed=seed)))
            except BenchRefused as exc:
                raise CommandError(str(exc)) from exc

    # --- steps --------------------------------------------------------------------------

    def _generate(self, *, size: int, seed: int, product_db: str, force: bool) -> Any:
        bars: dict[str, tqdm[Any]] = {}

        def progress(phase: str, done: int, total: int) -> None:
            bar = bars.get(phase)
            if bar is None:
                for other in bars.values():
                    other.close()
                unit = "loc" if phase == "locations" else "step"
                bar = bars[phase] = tqdm(total=total, desc=phase, unit=unit, unit_scale=phase == "locations")
            bar.update(done - bar.n)

        dataset = generate(size=size, seed=seed, product_db=product_db, progress=progress, force=force)
        for bar in bars.values():
            bar.close()
        if dataset.reused:
            self.stdout.write(f"reusing the cached data set ({dataset.search_rows} search rows)")
        else:
            self.stdout.write(f"generated in {dataset.seconds:.0f} s ({dataset.search_rows} search rows)")
        return dataset

    def _category_ids(self) -> dict[str, tuple[int, list[int]]]:
        """filter -> (facet id, the category and its descendants)."""
        from orgs.models import Category

        out: dict[str, tuple[int, list[int]]] = {"none": (0, [])}
        for flt, slug in (("common", COMMON_CATEGORY), ("rare", RARE_CATEGORY)):
            pk = Category.objects.get(slug=slug).pk
            out[flt] = (pk, sorted(category_descendant_ids([pk])))
        return out

    def _versions(self) -> str:
        with connection.cursor() as cur:
            cur.execute("SELECT current_setting('server_version'), postgis_lib_version()")
            pg, postgis = cur.fetchone()
        return f"PostgreSQL {pg}, PostGIS {postgis}"

    def _line(self, size: int, flt: str, method: str, st: runners.Stats) -> None:
        self.stdout.write(
            f"  {report.size_label(size):>5} {flt:<6} {report.METHOD_LABELS[method]:<24} "
            f"n={st.n:<6} p50={st.p50:8.2f} ms  p95={st.p95:8.2f} ms  {st.throughput:8.1f} q/s"
            + (f"  errors={st.errors}" if st.errors else "")
        )

    def _nearest(
        self,
        *,
        size: int,
        conninfo: dict[str, Any],
        ids: dict[str, tuple[int, list[int]]],
        origins: list[runners.Origin],
        clients: int,
        duration: float,
    ) -> dict[str, dict[str, runners.Stats]]:
        out: dict[str, dict[str, runners.Stats]] = {}
        naive_max = max(NAIVE_MIN_QUERIES, NAIVE_BUDGET_ROWS // size)
        for flt in report.FILTERS:
            facet, cats = ids[flt]
            out[flt] = {}
            cases: list[tuple[str, Any, int, int | None]] = [
                (report.RAW, lambda cur, o, f=facet: runners.knn_nearest(cur, origin=o, facet=f), clients, None),
                (report.FULL, lambda cur, o, f=facet: runners.full_answer(cur, origin=o, facet=f), clients, None),
                (
                    report.NAIVE,
                    lambda cur, o, c=cats: runners.naive_nearest(cur, origin=o, category_ids=c or None),
                    1,
                    naive_max,
                ),
                (
                    report.BBOX,
                    lambda cur, o, c=cats: runners.bbox_haversine_nearest(cur, origin=o, category_ids=c or None),
                    clients,
                    None,
                ),
            ]
            for method, query, n_clients, max_queries in cases:
                st = runners.run_load(
                    name=method,
                    make_worker=runners.psycopg_worker(conninfo, query),
                    jobs=origins,
                    clients=n_clients,
                    duration=duration,
                    max_queries=max_queries,
                    warmup=0.0 if method == report.NAIVE else min(1.0, duration / 2),
                )
                out[flt][method] = st
                self._line(size, flt, method, st)
        return out

    def _viewport(
        self, *, host: str, port: int, centres: list[runners.Origin], clients: int, duration: float
    ) -> dict[tuple[int, str], runners.Stats]:
        out: dict[tuple[int, str], runners.Stats] = {}
        for zoom in runners.VIEWPORT_ZOOMS:
            for flt, slug in (("none", None), ("common", COMMON_CATEGORY)):
                paths = runners.viewport_paths(zoom=zoom, centres=centres, category=slug)
                st = runners.run_load(
                    name=f"viewport z{zoom}",
                    make_worker=runners.http_worker(host, port),
                    jobs=paths,
                    clients=clients,
                    duration=duration / 2,
                    warmup=min(1.0, duration / 4),
                )
                out[(zoom, flt)] = st
                self.stdout.write(
                    f"  viewport zoom {zoom:>2} {flt:<6} n={st.n:<5} p50={st.p50:8.2f} ms  p95={st.p95:8.2f} ms"
                    f"  max {st.max_kb:6.1f} KB" + (f"  errors={st.errors}" if st.errors else "")
                )
        return out

    def _report(
        self,
        *,
        results: report.Results,
        viewport: dict[tuple[int, str], runners.Stats],
        datasets: list[Any],
        versions: str,
        started: dt.datetime,
        output: Path,
        settings_line: str,
    ) -> None:
        cpu = platform.processor() or platform.machine()
        try:
            model = next(
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            )
            cpu = model
        except (OSError, StopIteration):
            pass
        command = "python manage.py bench " + " ".join(shlex.quote(a) for a in sys.argv[2:])
        targets = report.targets(results, viewport)
        lines = [
            f"Benchmark of {started:%Y-%m-%d %H:%M} UTC: {os.cpu_count()} cores ({cpu}), {versions}",
            f"Command: `{command}` ({settings_line})",
            "Data: "
            + "; ".join(
                f"{name}: {ds.size} locations, {ds.organisations} organisations, {ds.search_rows} search rows"
                + (" (cached)" if ds.reused else f" (generated in {ds.seconds:.0f} s)")
                for name, ds in datasets
            ),
            "",
            "Nearest search, k = 10 (latency per query; q/s over all clients):",
            "",
            *report.nearest_table(results),
            "",
            "Ratios:",
            "",
            *report.ratio_table(results),
        ]
        growth = report.growth_table(results)
        if growth:
            lines += ["", "Growth of p95 with size:", "", *growth]
        if viewport:
            largest = report.size_label(max(results))
            lines += [
                "",
                f"Viewport /api/v1/locations at {largest} (1000x600 px map):",
                "",
                *report.viewport_table(viewport),
            ]
        lines += ["", "Targets:", "", *report.targets_table(targets)]
        text = "\n".join(lines) + "\n"
        self.stdout.write("\n" + text)
        output = output if output.is_absolute() else Path(settings.BASE_DIR) / output
        output.mkdir(parents=True, exist_ok=True)
        path = output / f"bench-{started:%Y%m%d-%H%M%S}.md"
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"saved {path}")
