"""The embed widget on a coalition's site (another origin): the snippet's
script receives the widget's height message and the frame follows its
content (the postMessage protocol in docs/api.md); ?lang= picks the
widget's language."""

from __future__ import annotations

from typing import Any

from frontend.views import EMBED_HEIGHT, embed_snippet
from tests.browser.conftest import Directory, FramingServer, Site
from tests.conftest import wait_until


def test_the_framed_widget_reports_its_height_and_the_snippet_resizes_the_frame(
    make_site: Any, directory: Directory, framing_server: FramingServer
) -> None:
    site: Site = make_site(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    url = f"{site.url}/embed/?network=stop-sed&lang=en"
    framing_server.html = (
        "<!DOCTYPE html><meta name=viewport content='width=device-width'><h1>Коалиция</h1>"
        "<script>window.heights=[];addEventListener('message',function(e){"
        "if(e.data&&e.data.type==='help-locator:height')heights.push([e.origin,e.data.height]);});</script>"
        + embed_snippet(url=url, title="STOP SED")
    )
    page = site.page
    page.goto(framing_server.url)
    frame = page.frame_locator("iframe[data-help-locator]")
    frame.locator("#place-input").wait_for()
    # The language the snippet asked for, whatever the browser's.
    assert frame.locator("html").get_attribute("lang") == "en"
    wait_until(page, "window.heights.length > 0", timeout_s=10)
    origin, first = page.evaluate("window.heights[0]")
    assert origin == site.url.rstrip("/")
    # Before a search a phone shows the form and an empty list (the map waits
    # behind its toggle): no taller than the default frame. The search below grows it.
    assert first >= EMBED_HEIGHT
    box = page.locator("iframe[data-help-locator]").bounding_box()
    assert box is not None and abs(box["height"] - min(first, 4000)) <= 2

    # A search makes the list longer: a new message, and the frame follows.
    frame.locator("#place-input").fill("Pskov")
    frame.locator("#place-input").press("Enter")
    frame.locator("#results-list > li").first.wait_for()
    wait_until(page, "window.heights[window.heights.length - 1][1] > " + str(first), timeout_s=10)
    last = page.evaluate("window.heights[window.heights.length - 1][1]")
    frame_height = "document.querySelector('iframe').getBoundingClientRect().height"
    wait_until(page, f"Math.abs({frame_height} - {min(last, 4000)}) <= 2")
