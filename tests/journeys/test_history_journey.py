"""A place moved by mistake is put back from the history: the owner finds the
move in the listing's history (named "Where it is on the map", on the
place's own row), opens the restore, sees where it is now and where it will
be, confirms; as the listing is published, the move back waits for a
moderator, who approves it in the queue, and the place is where it was."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction

from orgs import models as m
from orgs import services
from tests import people
from tests.journeys.conftest import JOURNEYS
from tests.journeys.test_coordinator_journey import VIEWPORTS, _sign_in, _submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PSKOV, PECHORY = Point(28.33, 57.82, srid=4326), Point(27.61, 57.81, srid=4326)


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"history-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_an_owner_puts_a_moved_place_back_and_a_moderator_approves(
    name: str, make_site: Any, russian_default: None
) -> None:
    with transaction.atomic():
        owner = people.user("owner")
        moderator = people.moderator()
        org = people.owned(owner, name="АНО «Светлый дом»")
        place = org.locations.get()
    # The mistaken move (made and approved earlier).
    services.location_update(user=moderator, location=place, changes={"point": PECHORY})
    site = make_site(viewport=VIEWPORTS[name])
    page, url = site.page, site.url

    # 1. The owner signs in and finds the move in the history.
    page.goto(f"{url}/accounts/login/")
    _sign_in(page, "owner@example.org")
    page.wait_for_url(f"{url}/partner/")
    page.goto(f"{url}/partner/o/{org.slug}/")
    rows = page.locator("table.history tr", has_text=f"Место «{place.name}»")
    # The newest row is the move (the current version); the one below it, the place before it.
    assert "Где это на карте" in rows.nth(0).inner_text() and "текущая" in rows.nth(0).inner_text()
    row = rows.nth(1)
    _shot(page, name, "1-history")

    # 2. The restore says what changes before it does.
    row.locator("a.button").click()
    page.wait_for_url("**/history/location/**")
    diff = page.inner_text("table.restore-diff")
    assert "57.810000, 27.610000" in diff and "57.820000, 28.330000" in diff
    assert "ждут одобрения модератора" in page.inner_text("main")
    _shot(page, name, "2-confirm")
    assert _submit(page, "button.primary").status == 302
    page.wait_for_url(f"{url}/partner/o/{org.slug}/")
    assert "ждут одобрения модератора" in page.inner_text("main")
    _shot(page, name, "3-requested")
    place.refresh_from_db()
    assert place.point.equals_exact(PECHORY, 1e-9)

    # 3. The moderator approves the move back in the queue.
    (request,) = m.ChangeRequest.objects.filter(location=place, status=m.Decision.PENDING)
    moderation = make_site(viewport=VIEWPORTS[name])
    moderation.page.goto(f"{url}/accounts/login/")
    _sign_in(moderation.page, "moder@example.org")
    moderation.page.wait_for_url(f"{url}/partner/")
    moderation.page.goto(f"{url}/partner/moderation/")
    _shot(moderation.page, name, "4-queue")
    assert _submit(moderation.page, f"#change-{request.pk} button[name=approve][value='1']").status == 302
    place.refresh_from_db()
    assert place.point.equals_exact(PSKOV, 1e-9)
