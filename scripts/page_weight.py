"""The weight of a first visit on a phone: every request the page makes
until the network is idle, with the bytes this site sent and what would
have gone to any other host (refused here, as this machine is offline, and
counted). Prints a table.

    /work/main/.venv/bin/python scripts/page_weight.py http://127.0.0.1:8000/ [more URLs]

Measures what Chromium reports as transferred (bodies as sent, so gzip
counts as gzip) in a fresh context: nothing in the cache.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

LOCAL = ("127.0.0.1", "localhost")


def kind(url: str) -> str:
    path = urlsplit(url).path
    if "/basemap/" in path:
        return "basemap tiles"
    if path.startswith("/static/"):
        return "scripts, styles, images"
    if path.startswith("/api/"):
        return "API"
    return "page"


def measure(url: str) -> tuple[dict[str, list[int]], list[str]]:
    sizes: dict[str, list[int]] = defaultdict(list)
    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--headless"])
        context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)

        def route(route: object) -> None:
            request = route.request  # type: ignore[attr-defined]
            if urlsplit(request.url).hostname in LOCAL:
                route.continue_()  # type: ignore[attr-defined]
            else:
                outside.append(request.url)
                route.abort()  # type: ignore[attr-defined]

        context.route("**/*", route)
        page = context.new_page()
        finished: list[object] = []
        page.on("requestfinished", lambda request: finished.append(request))
        page.goto(url, wait_until="networkidle")
        page.wait_for_timeout(1000)
        for request in finished:
            s = request.sizes()  # type: ignore[attr-defined]
            sizes[kind(request.url)].append(s["responseBodySize"] + s["responseHeadersSize"])  # type: ignore[attr-defined]
        browser.close()
    return sizes, outside


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    print(f"| {'page':<40} | {'what':<24} | {'requests':>8} | {'bytes':>10} |")
    print(f"|{'-' * 42}|{'-' * 26}|{'-' * 10}|{'-' * 12}|")
    for url in args.urls:
        sizes, outside = measure(url)
        total = 0
        for what in sorted(sizes):
            total += sum(sizes[what])
            print(f"| {url:<40} | {what:<24} | {len(sizes[what]):>8} | {sum(sizes[what]):>10,} |")
        hosts = sorted({urlsplit(u).hostname or "" for u in outside})
        print(f"| {url:<40} | {'from this site, in all':<24} | {sum(map(len, sizes.values())):>8} | {total:>10,} |")
        print(f"| {url:<40} | {'to other hosts (refused)':<24} | {len(outside):>8} | {', '.join(hosts) or '-':>10} |")


if __name__ == "__main__":
    main()
