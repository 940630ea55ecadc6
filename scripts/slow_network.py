"""Bytes over the wire and the first results on a slow network, against a
running server (``./dev run``, or any deployment you may load).

    python scripts/slow_network.py [--url http://127.0.0.1:8000] [--runs 3]

Two tables: the bytes of each page and of the nearest-help answer, plain and
gzipped (what a phone downloads before and after compression); then Slow 3G
in Chromium through Playwright's CDP session (Network.emulateNetworkConditions:
2 s round trip, 50 KB/s down and up, the cache empty), from opening the home
page to the first result of a search for «Псков» typed as soon as the box
works. A benchmark, printed as a table (docs/benchmarks.md), not a test.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.request
from urllib.parse import quote

CHROMIUM = "/usr/bin/chromium"
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 50 * 1024, "uploadThroughput": 50 * 1024}
PAGES = ["/", "/networks/", "/centres/", "/privacy/", "/embed/", "/accounts/login/"]


def fetch_size(url: str, *, gzip: bool) -> tuple[int, str]:
    headers = {"Accept-Encoding": "gzip"} if gzip else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:  # noqa: S310 - a URL the user gives
        return len(response.read()), response.headers.get("Content-Encoding") or "-"


def bytes_table(base: str) -> None:
    print(f"{'answer':44} {'plain B':>9} {'sent B':>9} {'encoding':>8} {'ratio':>6}")
    for path in [*PAGES, "/api/v1/nearest?place=" + quote("Псков"), "/api/v1/nearest?lat=57.819&lon=28.332"]:
        plain, _ = fetch_size(base + path, gzip=False)
        sent, encoding = fetch_size(base + path, gzip=True)
        print(f"{path:44} {plain:9d} {sent:9d} {encoding:>8} {sent / plain:6.2f}")


def slow_3g_run(browser: object, base: str, *, plain: bool = False) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="ru-RU")  # type: ignore[attr-defined]
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    if plain:  # "before": the browser asks for no compression
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": "identity"}})
    page.set_default_timeout(60_000)
    start = time.perf_counter()
    page.goto(base + "/", wait_until="commit")
    page.wait_for_selector("#place-input")
    shown = time.perf_counter() - start
    # The box works when locator.js (a plain script at the end of the body)
    # has run, which DOMContentLoaded marks; before, Enter would submit the
    # form to the server instead.
    page.wait_for_load_state("domcontentloaded")
    ready = time.perf_counter() - start
    page.fill("#place-input", "Псков")
    page.press("#place-input", "Enter")
    page.wait_for_selector("#results-list li")
    results = time.perf_counter() - start
    context.close()
    return {"form shown": shown, "search works": ready, "first results": results}


def slow_3g_table(base: str, runs: int, *, plain: bool = False) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        measured = [slow_3g_run(browser, base, plain=plain) for _ in range(runs)]
        browser.close()
    encoding = "no compression" if plain else "gzip"
    print(f"\nSlow 3G (2 s RTT, 50 KB/s), phone, empty cache, {encoding}, {runs} runs, seconds from opening the page")
    print(f"{'step':16} {'median':>7} {'max':>7}")
    for step in measured[0]:
        values = [run[step] for run in measured]
        print(f"{step:16} {statistics.median(values):7.1f} {max(values):7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--bytes-only", action="store_true")
    parser.add_argument("--plain", action="store_true", help="also run Slow 3G without compression (before)")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    bytes_table(base)
    if not args.bytes_only:
        if args.plain:
            slow_3g_table(base, args.runs, plain=True)
        slow_3g_table(base, args.runs)


if __name__ == "__main__":
    main()
