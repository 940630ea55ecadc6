"""Accessibility of every public page, on a phone and a desktop: axe-core
(tests/browser/vendor, MPL-2.0) finds no WCAG 2.1 A/AA violation, and every
control is at least 24 px square (WCAG 2.2, 2.5.8 Target Size (Minimum)).

One browser context per screen size, one page reused for every address.
axe is injected with bypass_csp (the site's CSP rightly refuses an inline
script); the CSP itself is checked in test_csp.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Directory, Site
from tests.factories import ActivePeopleCentreFactory

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "4.10.3" / "axe.min.js").read_text()
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1366, "height": 850}},
}

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map(v => v.id + ": " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(" | "));
}"""

# Controls smaller than 24 px. Exempt, as WCAG 2.5.8 exempts them: a link in
# a sentence (inline in running text), and a box inside its label (the label
# is the target); hidden ones, and the press form's bot trap (off screen,
# aria-hidden, no tab stop), are not targets at all.
SMALL_TARGETS = """() => {
  const small = [];
  for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, summary")) {
    let box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest(".visually-hidden, [hidden]")) continue;
    // Out of everyone's reach: the press form's bot trap (off screen, aria-hidden, no tab stop).
    if (el.closest("[aria-hidden=true]") && el.tabIndex < 0) continue;
    if (el.tagName === "A" && el.closest("p, li, td, dd") && getComputedStyle(el).display === "inline") continue;
    const label = el.closest("label");
    if (label) box = label.getBoundingClientRect();
    if (box.width < 24 || box.height < 24) {
      const name = (el.textContent || el.value || "").trim().slice(0, 30);
      const size = Math.round(box.width) + "x" + Math.round(box.height);
      small.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + " '" + name + "' " + size);
    }
  }
  return small;
}"""


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_public_page_has_no_wcag_violation_and_big_enough_targets(
    screen: str, make_site: Any, directory: Directory
) -> None:
    centre = ActivePeopleCentreFactory(host=directory.pskov)
    site: Site = make_site(bypass_csp=True, **SCREENS[screen])
    page = site.page
    pages = [
        "/",
        "/o/nszhc/",
        "/networks/",
        "/networks/stop-sed/",
        "/centres/",
        f"/centres/{centre.slug}/",
        "/press/",
        "/privacy/",
        "/accounts/login/",
        "/accounts/signup/",
        "/embed/?network=stop-sed",
    ]
    found: dict[str, list[str]] = {}
    for path in pages:
        page.goto(site.url + path)
        page.wait_for_load_state("load")
        _check(page, path, found)
    # And a page of results.
    page.goto(site.url + "/")
    page.fill("#place-input", "Псков")
    page.press("#place-input", "Enter")
    page.wait_for_selector("#results-list li")
    _check(page, "/ (results)", found)
    assert found == {}, "\n".join(f"{path}: {problems}" for path, problems in found.items())


def _check(page: Any, path: str, found: dict[str, list[str]]) -> None:
    page.add_script_tag(content=AXE)
    problems = page.evaluate(RUN_AXE, TAGS) + ["target " + t for t in page.evaluate(SMALL_TARGETS)]
    if problems:
        found[path] = problems
