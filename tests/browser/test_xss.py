"""Every text a person can type, holding an XSS payload, shown as text on
every page where it appears: in a real browser (Debian's Chromium through
Playwright) with the Content-Security-Policy switched off (``bypass_csp``),
so that what is checked is the escaping itself and not the policy behind it.

The payloads set ``window.__xss``: an inline ``<script>``, an ``<img>`` and an
``<svg>`` with event handlers, breaking out of double- and single-quoted
attributes; the web addresses are ``javascript:`` URLs. The data is written
straight into the database (factories), so that the pages are tested even
against values the forms would refuse (a ``javascript:`` website); what
partners type through the services (a registration waiting for moderation,
change requests, a claim, a press request) goes through the services.

On each page, after its scripts have run, with every popup and tooltip of
its maps opened and, on the locator, a search done: ``window.__xss`` is
unset, no element came out of a payload, no link or form leads to a
``javascript:`` URL, and the payloads are there as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone

from orgs import models as m
from orgs import press, services
from orgs.permissions import MODERATORS_GROUP
from tests.browser.conftest import PSKOV, Site
from tests.conftest import emailed_link_token, wait_until
from tests.factories import (
    ActivePeopleCentreFactory,
    CategoryFactory,
    ExpertFactory,
    LocationFactory,
    MembershipFactory,
    NetworkFactory,
    OpeningHoursFactory,
    OrganisationFactory,
    PlaceFactory,
    ServiceFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

IMG = "<img src=x onerror=window.__xss=1>"
SCRIPT = '"><script>window.__xss=1</script>'
SVG = "'><svg onload=window.__xss=1>"
JS_URL = "javascript:window.__xss=1"
# A valid web address (Django's URL validator takes it) that breaks out of an attribute.
BREAKOUT_URL = "https://ok.example/" + SCRIPT
# An e-mail address that is markup (the forms refuse it; the pages must cope anyway).
HOSTILE_EMAIL = f'"{IMG}"@example.org'
PASSWORD = "a-long-password-1"


def hostile(label: str) -> str:
    """A field's text: a label to find it by, then every payload."""
    return f"{label} {IMG} {SCRIPT} {SVG}"


@dataclass
class World:
    org: m.Organisation
    pending: m.Organisation
    member: m.Organisation
    location: m.Location
    service: m.Service
    network: m.Network
    centre: m.ActivePeopleCentre
    owner: User
    moderator: User
    press_request: m.PressRequest
    tracking_token: str
    invitation_token: str


def _build(base_url: str) -> World:
    PlaceFactory(
        name="Pskov",
        name_ru="Псков",
        point=Point(PSKOV[1], PSKOV[0], srid=4326),
        names=["pskov", "псков"],
        search_text="pskov | псков",
        population=210_501,
    )
    category = CategoryFactory(slug="psychological-help", name_ru=hostile("CatRu"), name_en=hostile("CatEn"))
    crisis = CategoryFactory(slug="crisis-line", name_ru=hostile("CrisisCat"), name_en=hostile("CrisisCat"))
    network: Any = NetworkFactory(
        slug="hostile-net",
        name=hostile("NetName"),
        name_en=hostile("NetNameEn"),
        description=hostile("NetAbout"),
        website=JS_URL,
        roles=["member", "candidate", "partner"],
    )
    org: Any = OrganisationFactory(
        slug="hostile-org",
        name=hostile("OrgName"),
        description=hostile("OrgAbout"),
        description_en=hostile("OrgAboutEn"),
        description_uk=hostile("OrgAboutUk"),
        website="https://ok.example/",
        source=hostile("OrgSource"),
        located=False,
    )
    m.OrganisationIdentifier.objects.create(organisation=org, scheme=f"S {IMG}", identifier=f"I {SCRIPT}", country="KZ")
    location: Any = LocationFactory(
        organisation=org,
        name=hostile("LocName"),
        address=hostile("LocAddress"),
        city=hostile("LocCity"),
        region=hostile("LocRegion"),
        accessibility=hostile("LocAccess"),
        phone=SVG,
        point=Point(PSKOV[1] + 0.01, PSKOV[0] + 0.005, srid=4326),
    )
    OpeningHoursFactory(location=location)
    hidden: Any = LocationFactory(
        organisation=org,
        name=hostile("Loc2Name"),
        city=hostile("Loc2City"),
        visibility=m.Visibility.APPROXIMATE,
        point=Point(PSKOV[1] - 0.01, PSKOV[0], srid=4326),
    )
    service: Any = ServiceFactory(
        organisation=org,
        name=hostile("SvcName"),
        description=hostile("SvcAbout"),
        eligibility=hostile("SvcWho"),
        phone=SVG,
        email=HOSTILE_EMAIL,
        url=JS_URL,
        categories=[category],
        locations=[location, hidden],
    )
    ServiceFactory(
        organisation=org,
        name=hostile("RemoteName"),
        description=hostile("RemoteAbout"),
        formats=[m.ServiceFormat.ONLINE],
        area_kind=m.AreaKind.COUNTRY,
        area_country="RU",
        url=BREAKOUT_URL,
        categories=[category],
    )
    ServiceFactory(
        organisation=org,
        name=hostile("CrisisName"),
        formats=[m.ServiceFormat.PHONE],
        area_kind=m.AreaKind.ANYWHERE,
        phone=SVG,
        url=JS_URL,
        categories=[crisis],
    )
    MembershipFactory(organisation=org, network=network, note=hostile("MemberNote"))
    centre: Any = ActivePeopleCentreFactory(
        host=org, slug="hostile-centre", name=hostile("CentreName"), description=hostile("CentreAbout")
    )
    centre.helps_with.set([category])
    expert: Any = ExpertFactory(
        organisation=org, full_name=hostile("ExpertName"), email="expert@private.example", languages=["ru"]
    )

    owner = User.objects.create_user(HOSTILE_EMAIL, HOSTILE_EMAIL, PASSWORD)
    m.OrganisationAccess.objects.create(organisation=org, user=owner, role=m.AccessRole.OWNER)
    moderator = User.objects.create_user("moderator@example.org", "moderator@example.org", PASSWORD)
    moderator.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
    claimer = User.objects.create_user("claimer@example.org", "claimer@example.org", PASSWORD)
    # The claimer owns a member of the coalition: it may recommend who applies.
    member: Any = OrganisationFactory(slug="member-org", name=hostile("MemberOrgName"))
    m.OrganisationAccess.objects.create(organisation=member, user=claimer, role=m.AccessRole.OWNER)
    MembershipFactory(organisation=member, network=network)

    # What partners type, through the services: a registration that waits, changes that wait, a claim.
    pending = services.organisation_register(
        user=owner,
        data={
            "name": hostile("PendingName"),
            "description": hostile("PendingAbout"),
            "website": BREAKOUT_URL,
            "locations": [
                {
                    "lat": PSKOV[0],
                    "lon": PSKOV[1],
                    "city": hostile("PendingCity"),
                    "address": hostile("PendingAddress"),
                    "name": hostile("PendingLocName"),
                }
            ],
            "services": [
                {
                    "name": hostile("PendingSvc"),
                    "description": hostile("PendingSvcAbout"),
                    "categories": ["psychological-help"],
                    "formats": ["in_person"],
                    "locations": [0],
                }
            ],
        },
        confirm_not_duplicate=True,
    )
    services.membership_apply(user=owner, organisation=pending, network=network, role="member")
    services.organisation_update(user=owner, organisation=org, changes={"name": hostile("ProposedName")})
    services.location_update(user=owner, location=location, changes={"address": hostile("ProposedAddress")})
    services.claim_create(user=claimer, organisation=org, message=hostile("ClaimMessage"))
    # Then addresses no form would take (the services check the whole record, so this comes after them).
    m.Organisation.objects.filter(pk=org.pk).update(
        website=JS_URL, email=HOSTILE_EMAIL, social_links=[JS_URL, BREAKOUT_URL]
    )
    org.refresh_from_db()

    # A journalist's request, confirmed and sent to the expert.
    created = press.press_request_create(
        data={
            "journalist_name": hostile("Journalist"),
            "outlet": hostile("Outlet"),
            "email": "journalist@media.example",
            "phone": SVG,
            "topic": hostile("Topic"),
            "questions": hostile("Questions"),
            "region": hostile("Region"),
            "deadline": timezone.now() + dt.timedelta(days=2),
            "language": "ru",
            "format": m.PressFormat.WRITTEN,
        },
        client_ip=None,
        base_url=base_url,
    )
    req, tracking = press.press_request_confirm(token=created.confirm_token, base_url=base_url)
    assert tracking
    if not req.invitations.exists():
        press.press_request_send(user=moderator, press_request=req, expert_ids=[expert.pk], base_url=base_url)
    return World(
        org=org,
        pending=pending,
        member=member,
        location=location,
        service=service,
        network=network,
        centre=centre,
        owner=owner,
        moderator=moderator,
        press_request=req,
        tracking_token=tracking,
        invitation_token=emailed_link_token("/press/answer/"),
    )


@pytest.fixture
def world(transactional_db: None, live_server: Any) -> World:
    # One transaction: a published organisation must have a place by the time it commits.
    with transaction.atomic():
        return _build(live_server.url)


# --- what is looked at on each page --------------------------------------------------------------

OPEN_MAP_LAYERS = """() => {
  // Every popup and tooltip of every Leaflet map on the page, opened one after
  // the other; what each showed, and any element that came out of a payload.
  const shown = [];
  const found = [];
  for (const key of Object.keys(window)) {
    let map;
    try { map = window[key]; } catch (e) { continue; }
    if (!(window.L && map instanceof window.L.Map)) continue;
    const layers = [];
    map.eachLayer((layer) => layers.push(layer));
    for (const layer of layers) {
      for (const [get, open] of [["getPopup", "openPopup"], ["getTooltip", "openTooltip"]]) {
        try {
          if (!layer[get] || !layer[get]()) continue;
          layer[open]();
          const el = layer[get]().getElement();
          if (!el) continue;
          shown.push(el.innerText);
          for (const bad of el.querySelectorAll("img[src='x'], svg[onload], [onerror], [onload], script")) {
            found.push(bad.outerHTML);
          }
        } catch (e) { /* a layer without a position of its own */ }
      }
    }
  }
  return {shown, found};
}"""

PAGE_STATE = """() => {
  const text = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (parent && !parent.closest("script, style, noscript, template")) text.push(walker.currentNode.nodeValue);
  }
  for (const el of document.querySelectorAll("input, textarea")) text.push(el.value);
  for (const el of document.querySelectorAll("[title], [aria-label], [alt], [placeholder]")) {
    for (const name of ["title", "aria-label", "alt", "placeholder"]) {
      if (el.hasAttribute(name)) text.push(el.getAttribute(name));
    }
  }
  const injected = [...document.querySelectorAll(
    "img[src='x'], svg[onload], [onerror], [onload], [onclick], [onmouseover], [onfocus]"
  )].map((el) => el.outerHTML.slice(0, 200));
  const scripts = [...document.scripts]
    .filter((s) => (s.textContent || "").includes("__xss") && s.type !== "application/json")
    .map((s) => s.outerHTML.slice(0, 200));
  const badUrls = [];
  for (const el of document.querySelectorAll("[href], [src], [action], [formaction], [xlink\\\\:href]")) {
    for (const name of ["href", "src", "action", "formaction", "xlink:href"]) {
      const value = (el.getAttribute(name) || "").replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
      if (/^(javascript|vbscript|data:text)/.test(value)) badUrls.push(`${el.tagName} ${name}=${value}`);
    }
  }
  return {text: text.join("\\n"), injected, scripts, badUrls, xss: typeof window.__xss};
}"""


@dataclass
class Seen:
    url: str
    text: str


def _look(site: Site, page: Any, url: str, *, before: Callable[[Any], None] | None = None) -> Seen:
    """What the page shows (with its maps' popups opened), after checking that
    no payload ran or became markup."""
    page.goto(site.url + url)
    page.wait_for_load_state("networkidle")
    if before is not None:
        before(page)
        page.wait_for_load_state("networkidle")
    layers = page.evaluate(OPEN_MAP_LAYERS)
    state = page.evaluate(PAGE_STATE)
    assert state["xss"] == "undefined", f"{url}: a payload ran"
    assert state["injected"] == [], f"{url}: markup from a payload: {state['injected']}"
    assert layers["found"] == [], f"{url}: markup from a payload in a map: {layers['found']}"
    assert state["scripts"] == [], f"{url}: a payload inside a script: {state['scripts']}"
    assert state["badUrls"] == [], f"{url}: {state['badUrls']}"
    return Seen(url, state["text"] + "\n" + "\n".join(layers["shown"]))


def _shows(seen: Seen, *labels: str) -> None:
    """Each label's field is on the page, its payloads as text."""
    for label in labels:
        assert hostile(label) in seen.text, f"{seen.url}: {label!r} is not shown as text"


def _search_pskov(page: Any) -> None:
    page.fill("#place-input", "Pskov")
    page.wait_for_selector("#place-options [role=option]")
    page.press("#place-input", "Enter")
    page.wait_for_selector("#results-list > li")
    wait_until(page, "document.querySelectorAll('#remote-list li').length > 0")


def _sign_in(site: Site, page: Any, email: str) -> None:
    page.goto(site.url + "/accounts/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(f"{site.url}/partner/**")


# --- the pages ----------------------------------------------------------------------------------


def test_public_pages_show_every_payload_as_text(make_site: Callable[..., Site], world: World) -> None:
    site = make_site(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = site.page
    org, net, centre = world.org.slug, world.network.slug, world.centre.slug

    for url in ["/", "/embed/", f"/embed/?network={net}"]:
        seen = _look(site, page, url, before=_search_pskov)
        # The list of nearest help, the remote help, the centres around, the markers' popups.
        _shows(seen, "OrgName", "SvcName", "RemoteName", "CentreName", "CrisisName")

    seen = _look(site, page, f"/o/{org}/")
    _shows(
        seen,
        "OrgName",
        "OrgAbout",
        "LocName",
        "LocAddress",
        "LocAccess",
        "SvcName",
        "SvcAbout",
        "SvcWho",
        "RemoteName",
        "Loc2Name",
        "NetName",
    )
    assert SVG in seen.text and HOSTILE_EMAIL in seen.text and BREAKOUT_URL in seen.text

    _shows(_look(site, page, "/networks/"), "NetName")
    _shows(_look(site, page, f"/networks/{net}/"), "NetName", "NetAbout", "OrgName")
    _shows(_look(site, page, "/centres/"), "CentreName", "OrgName")
    _shows(_look(site, page, f"/centres/{centre}/"), "CentreName", "CentreAbout", "OrgName")
    _shows(_look(site, page, "/press/"), "CatRu")

    # The expert's link shows the journalist's request; the journalist's shows who agreed.
    _shows(_look(site, page, f"/press/answer/?t={world.invitation_token}"), "Topic", "Questions", "Outlet")
    press.invitation_answer(token=world.invitation_token, accept=True, contacts=None, base_url=site.url)
    _shows(_look(site, page, f"/press/track/?t={world.tracking_token}"), "Topic", "ExpertName", "OrgName")


def test_partner_and_moderation_pages_show_every_payload_as_text(make_site: Callable[..., Site], world: World) -> None:
    owner = make_site(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    _sign_in(owner, owner.page, HOSTILE_EMAIL)
    org, pending = world.org.slug, world.pending.slug
    page = owner.page

    _shows(_look(owner, page, "/partner/"), "OrgName", "PendingName")
    _shows(_look(owner, page, f"/partner/o/{org}/"), "OrgName", "LocName", "SvcName", "ProposedName")
    _shows(_look(owner, page, f"/partner/o/{org}/edit/"), "OrgName", "OrgAbout", "OrgAboutEn", "OrgAboutUk")
    _shows(_look(owner, page, f"/partner/o/{org}/locations/{world.location.pk}/"), "LocName", "LocAddress", "LocAccess")
    _shows(_look(owner, page, f"/partner/o/{org}/services/{world.service.pk}/"), "SvcName", "SvcAbout", "SvcWho")
    _shows(_look(owner, page, f"/partner/claim/{world.member.slug}/"), "MemberOrgName")

    # A member's page for recommending applicants: the waiting registration applies to the coalition.
    member = make_site(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    _sign_in(member, member.page, "claimer@example.org")
    _shows(_look(member, member.page, "/partner/recommend/"), "PendingName", "NetName", "MemberOrgName")
    _shows(_look(owner, page, f"/partner/o/{pending}/"), "PendingName", "PendingAbout", "PendingSvc")
    _shows(_look(owner, page, f"/press/o/{org}/experts/"), "ExpertName")

    moderator = make_site(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    _sign_in(moderator, moderator.page, "moderator@example.org")
    page = moderator.page
    seen = _look(moderator, page, "/partner/moderation/")
    _shows(
        seen,
        "PendingName",
        "PendingAbout",
        "PendingAddress",
        "PendingSvc",
        "ProposedName",
        "ProposedAddress",
        "ClaimMessage",
    )
    assert HOSTILE_EMAIL in seen.text  # who registered it
    _shows(_look(moderator, page, "/press/coordinate/"), "Topic", "Outlet")
    _shows(
        _look(moderator, page, f"/press/coordinate/{world.press_request.pk}/"),
        "Topic",
        "Questions",
        "Outlet",
        "ExpertName",
    )
