"""A journalist asks for a comment; experts decide; the contact arrives only
after one agrees. In Debian's Chromium against the live server, the mail
through the outbox into a local SMTP server, each e-mail read as its reader
would and its link followed in the browser.

1. Psychological help to a child survivor in Pskov: the request reaches STOP
   SED's coordinator only (the mental-health alliance's coordinator who opens
   it is told whose it is); the first expert declines, the second lets the
   window pass, the third accepts and shares only her phone. The journalist
   sees "still looking" in between and receives exactly that phone; the
   disclosure log has one row; every time is on the reader's clock.
2. STOP SED's only expert declines: the list runs out, the coordinator is told
   by e-mail, widens the search to the alliance, and its expert accepts.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from orgs import models as m
from orgs import outbox, press
from tests import factories as f
from tests import people
from tests.journeys.conftest import JOURNEYS, SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 850}}
MOSCOW = zoneinfo.ZoneInfo("Europe/Moscow")
JOURNALIST = "maria@media.example"
IRINA = "irina@example.org"  # STOP SED's coordinator
ALLA = "alla@example.org"  # the alliance's coordinator
TOPIC = "Психологическая помощь ребёнку, пережившему насилие"


def _mails(sink: SmtpSink, count: int) -> list[Any]:
    """The send-after-commit thread delivers; wait for ``count`` messages."""
    deadline = time.monotonic() + 15
    while len(sink.received()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    while outbox._running.locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.received()


def _only(sink: SmtpSink, count: int, to: str, name: str, step: str) -> tuple[Any, str, str]:
    """The newest of the first ``count`` messages that went to ``to`` (and to
    nobody else); saved for a person to read."""
    arrived = _mails(sink, count)[:count]
    assert len(arrived) == count, [str(x["Subject"]) for x in arrived]
    mine = [x for x in arrived if to in str(x["To"])]
    assert mine, (to, [(str(x["To"]), str(x["Subject"])) for x in arrived])
    mail = mine[-1]
    assert mail["To"] == to, (mail["To"], str(mail["Subject"]))
    body = mail.get_content()
    (JOURNEYS / f"press-{name}-{step}.txt").write_text(
        f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body}", encoding="utf-8"
    )
    links = re.findall(r"https?://\S+", body)
    return mail, body, links[0] if links else ""


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"press-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _sign_in(page: Any, email: str) -> None:
    page.fill("#id_username", email)
    page.fill("#id_password", people.PASSWORD)
    page.click("button.primary")


def _ru(text: Any) -> str:
    with translation.override("ru"):
        return str(text)


def _world() -> dict[str, Any]:
    """The seed's taxonomy slugs, STOP SED and the alliance with their seed press topics."""
    direct = f.CategoryFactory(slug="direct-help", name_ru="Непосредственная помощь")
    psych = f.CategoryFactory(slug="psychological-help", name_ru="Психологическая помощь", parent=direct)
    f.CategoryFactory(slug="medical-psychiatric-help", parent=direct)
    f.TargetGroupFactory(
        slug="children-sexual-violence-survivors-and-parents",
        name_ru="Дети, пережившие сексуальное насилие, и их родители",
    )
    f.TargetGroupFactory(slug="people-with-mental-disorders-and-families", name_ru="Люди с психическими нарушениями")
    stop_sed = f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])
    alliance = f.NetworkFactory(slug="tsennost-kazhdogo", name="Альянс «Ценность каждого»")
    assert press.press_topics_seed() == 2  # fixtures/press_topics.json, as load_seed loads it
    m.NetworkCoordinator.objects.create(network=stop_sed, user=people.user("irina"))
    m.NetworkCoordinator.objects.create(network=alliance, user=people.user("alla"))
    pskov = f.PlaceFactory(name="Pskov", name_ru="Псков", point=Point(28.33, 57.82, srid=4326))
    spb = f.PlaceFactory(name="Saint Petersburg", name_ru="Санкт-Петербург", point=Point(30.31, 59.94, srid=4326))
    moscow = f.PlaceFactory(name="Moscow", name_ru="Москва", point=Point(37.62, 55.75, srid=4326))
    experts = {}
    for key, name, org_name, place, network in (
        ("olga", "Ольга Псковская", "Независимый социальный женский центр", pskov, stop_sed),
        ("pavel", "Павел Невский", "РОО «Стеллит»", spb, stop_sed),
        ("vera", "Вера Уральская", "АНО «Семья детям»", moscow, stop_sed),
        ("alina", "Алина Альянсова", "АНО «Ценность каждого»", moscow, alliance),
    ):
        with transaction.atomic():  # a published listing needs its place by the commit
            org = f.OrganisationFactory(name=org_name)
        f.MembershipFactory(organisation=org, network=network)
        expert = f.ExpertFactory(
            organisation=org, full_name=name, email=f"{key}@private.example", place=place, languages=["ru"]
        )
        expert.topics.set([psych])
        experts[key] = expert
    return {"stop_sed": stop_sed, "alliance": alliance, **experts}


def _answer(site: Any, link: str, name: str, step: str, *, accept: bool) -> Any:
    page = site.page
    page.goto(link)
    assert page.locator("h1").count() == 1
    _shot(page, name, f"{step}-answer")
    page.click("button[name=answer][value=accept]" if accept else "button[name=answer][value=decline]")
    page.wait_for_load_state()
    return page


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_journalist_gets_the_third_experts_chosen_contact(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    world = _world()
    # Vera is in Yekaterinburg's time and reads Ukrainian; she shares her phone only.
    world["vera"].time_zone, world["vera"].interface_language = "Asia/Yekaterinburg", "uk"
    world["vera"].share_phone, world["vera"].phone = True, "+7 912 555-01-02"
    world["vera"].conditions = "Цитаты согласовываю перед публикацией."
    world["vera"].save()
    smtp_sink.up()
    journalist = make_site(viewport=VIEWPORTS[name])
    page, url = journalist.page, journalist.url
    deadline_msk = (timezone.now().astimezone(MOSCOW) + dt.timedelta(days=3)).replace(hour=18, minute=0)

    # 1. The journalist finds the form from the header and asks, her deadline on Moscow's clock.
    page.goto(f"{url}/")
    page.click("header a[href='/press/']")
    page.wait_for_url(f"{url}/press/")
    page.fill("#id_journalist_name", "Мария Журналистова")
    page.fill("#id_outlet", "Псковская лента")
    page.fill("#id_email", JOURNALIST)
    page.fill("#id_topic", TOPIC)
    page.check("input[name=categories][value=psychological-help]")
    page.check("input[name=target_groups][value=children-sexual-violence-survivors-and-parents]")
    page.fill("#id_place", "Псков")
    page.fill("#id_deadline", deadline_msk.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_deadline_zone", "Europe/Moscow")
    page.click(".press button[type=submit].primary")
    page.wait_for_url(f"{url}/press/sent/")
    req = m.PressRequest.objects.get()
    assert req.deadline == deadline_msk.replace(second=0, microsecond=0)
    assert (req.time_zone, req.interface_language) == ("Europe/Moscow", "ru")

    # 2. The confirmation: what she asked, on her clock; the link confirms.
    mail, body, link = _only(smtp_sink, 1, JOURNALIST, name, "1-confirm")
    assert str(mail["Subject"]).strip() == _ru(gettext_lazy("Confirm your request for an expert comment"))
    assert TOPIC in body and "Псковская лента" in body and "Псков" in body
    assert "18:00 (Europe/Moscow, UTC+03:00)" in body, body
    assert "Психологическая помощь" in body and "Дети, пережившие сексуальное насилие" in body
    page.goto(link)
    _shot(page, name, "1-confirm")
    page.click(".press button.primary")
    page.wait_for_url("**/press/track/?t=*")
    assert page.locator("#still-looking").count() == 1
    assert "18:00 (Europe/Moscow, UTC+03:00)" in page.locator(".deadline").inner_text()
    _shot(page, name, "2-tracking")
    tracking_url = page.url

    # 3. The tracking e-mail says what happens next; only STOP SED's coordinator is told.
    mail, body, link = _only(smtp_sink, 2, JOURNALIST, name, "2-tracking")
    assert link == tracking_url and "18:00 (Europe/Moscow, UTC+03:00)" in body
    mail, body, link = _only(smtp_sink, 3, IRINA, name, "3-coordinator")
    assert "СТОП СЭД" in body and "Альянс" not in body
    assert link == f"{url}/press/coordinate/{req.pk}/"
    assert list(req.networks.values_list("slug", flat=True)) == ["stop-sed"]

    # 4. The alliance's coordinator who opens it is told, in Russian, whose it is.
    alla = make_site(viewport=VIEWPORTS[name])
    alla.page.goto(f"{url}/accounts/login/?next=/press/coordinate/{req.pk}/")
    _sign_in(alla.page, ALLA)
    alla.page.wait_for_url(f"{url}/press/coordinate/{req.pk}/")
    assert "СТОП СЭД" in alla.page.locator("#whose").inner_text()
    assert alla.page.locator("html").get_attribute("lang") == "ru"
    _shot(alla.page, name, "4-not-yours")

    # 5. STOP SED's coordinator follows her link, sees the ranking and asks the first expert.
    irina = make_site(viewport=VIEWPORTS[name])
    irina.page.goto(link)
    _sign_in(irina.page, IRINA)
    irina.page.wait_for_url(link)
    rows = irina.page.locator("form tbody tr label").all_inner_texts()
    assert rows == ["Ольга Псковская", "Павел Невский", "Вера Уральская"], rows  # nearest to Pskov first
    assert "18:00 (Europe/Moscow, UTC+03:00)" in irina.page.locator(".deadline").inner_text()
    irina.page.check(f"#expert-{world['olga'].pk}")
    irina.page.click("form button.primary")
    irina.page.wait_for_url(link)
    _shot(irina.page, name, "5-sent")

    # 6. Olga: who asks, outlet, topic, deadline, which contact would go; she declines.
    mail, body, olga_link = _only(smtp_sink, 4, "olga@private.example", name, "4-olga")
    assert "Журналист" in str(mail["Subject"]) and TOPIC[:40] in str(mail["Subject"])
    assert "Мария Журналистова" in body and "Псковская лента" in body and "olga@private.example" in body
    assert "18:00 (Europe/Moscow, UTC+03:00)" in body and f"{url}/press/me/" in body
    expert_site = make_site(viewport=VIEWPORTS[name])
    _answer(expert_site, olga_link, name, "6-olga", accept=False)

    # 7. The next (Pavel) is asked at once; the journalist still sees "looking".
    mail, body, _pavel_link = _only(smtp_sink, 5, "pavel@private.example", name, "5-pavel")
    page.goto(tracking_url)
    assert page.locator("[data-status]").get_attribute("data-status") == "searching"
    assert page.locator("#still-looking").count() == 1
    _shot(page, name, "7-still-looking")

    # 8. Pavel lets his window pass (the clock moves on); the housekeeping asks Vera.
    pavel = m.ExpertInvitation.objects.get(expert=world["pavel"])
    m.ExpertInvitation.objects.filter(pk=pavel.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert press.press_housekeeping(base_url=url)["expired_invitations"] == 1
    mail, body, vera_link = _only(smtp_sink, 6, "vera@private.example", name, "6-vera")
    assert str(mail["Subject"]).strip().startswith("Журналіст просить вашого коментаря")  # her language
    assert "20:00 (Asia/Yekaterinburg, UTC+05:00)" in body, body  # the deadline on her clock
    assert "+7 912 555-01-02" in body and "vera@private.example" in body  # what she could share
    vera_invitation = m.ExpertInvitation.objects.get(expert=world["vera"])
    assert vera_invitation.expires_at <= req.deadline - press.deadline_margin()
    page.goto(tracking_url)
    assert page.locator("#still-looking").count() == 1

    # 9. Vera accepts, giving her phone only.
    answer_page = expert_site.page
    answer_page.goto(vera_link)
    assert "Asia/Yekaterinburg" in answer_page.locator(".deadline").inner_text()
    _shot(answer_page, name, "8-vera-answer")
    if answer_page.locator("input[name=contacts][value=email]").count():
        answer_page.uncheck("input[name=contacts][value=email]")
    answer_page.click("button[name=answer][value=accept]")
    answer_page.wait_for_load_state()

    # 10. The journalist receives exactly Vera's phone, with her conditions; one disclosure.
    received = _mails(smtp_sink, 8)
    to_journalist = [x for x in received[6:] if x["To"] == JOURNALIST]
    (contacts_mail,) = to_journalist
    body = contacts_mail.get_content()
    (JOURNEYS / f"press-{name}-7-contacts.txt").write_text(
        f"To: {contacts_mail['To']}\nSubject: {contacts_mail['Subject']}\n\n{body}", encoding="utf-8"
    )
    assert "Вера Уральская" in str(contacts_mail["Subject"])
    assert "+7 912 555-01-02" in body and "vera@private.example" not in body
    assert "Цитаты согласовываю перед публикацией." in body
    assert [x["To"] for x in received[6:]].count("vera@private.example") == 1
    (disclosure,) = m.Disclosure.objects.all()
    assert (disclosure.expert_id, disclosure.contacts) == (world["vera"].pk, ["phone"])
    page.goto(tracking_url)
    assert page.locator("[data-status]").get_attribute("data-status") == "found"
    _shot(page, name, "9-found")


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_the_list_runs_out_and_the_coordinator_widens_to_the_alliance(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    world = _world()
    for key in ("pavel", "vera"):
        world[key].paused = True
        world[key].save()
    smtp_sink.up()
    with translation.override("ru"):
        created = press.press_request_create(
            data={
                "journalist_name": "Мария Журналистова",
                "outlet": "Псковская лента",
                "email": JOURNALIST,
                "topic": TOPIC,
                "categories": ["psychological-help"],
                "target_groups": ["children-sexual-violence-survivors-and-parents"],
                "deadline": timezone.now() + dt.timedelta(days=2),
                "deadline_zone": "Europe/Moscow",
            },
            client_ip=None,
            base_url="http://unused",
        )
    site = make_site(viewport=VIEWPORTS[name])
    url = site.url
    press.press_request_confirm(token=created.confirm_token, base_url=url)
    req = created.request
    # The journalist's two e-mails (seen in the first journey) and STOP SED's coordinator's notice.
    _only(smtp_sink, 3, IRINA, name, "w0-coordinator")

    # 1. The coordinator asks STOP SED's only available expert, who declines.
    irina = site.page
    irina.goto(f"{url}/accounts/login/?next=/partner/")
    _sign_in(irina, IRINA)
    irina.wait_for_url(f"{url}/partner/")
    irina.click("a[href='/press/coordinate/']")  # from the partner dashboard
    irina.click(f"a[href='/press/coordinate/{req.pk}/']")
    irina.check(f"#expert-{world['olga'].pk}")
    irina.click("form button.primary")
    irina.wait_for_load_state()
    _mail, _body, olga_link = _only(smtp_sink, 4, "olga@private.example", name, "w1-olga")
    expert = make_site(viewport=VIEWPORTS[name])
    _answer(expert, olga_link, name, "w2-olga", accept=False)

    # 2. Nobody is left: the coordinator is told by e-mail; the journalist is not told "no expert".
    mail, body, link = _only(smtp_sink, 5, IRINA, name, "w3-exhausted")
    expected = _ru(gettext_lazy("No expert left to ask: %(topic)s")) % {"topic": TOPIC}
    assert str(mail["Subject"]).strip() == expected
    assert "Ольга Псковская" in body and link == f"{url}/press/coordinate/{req.pk}/"
    req.refresh_from_db()
    assert req.status == m.PressRequestStatus.SEARCHING and req.exhausted_at is not None

    # 3. She follows the link and widens the search to the alliance; its expert is asked.
    irina.goto(link)
    assert irina.locator("#exhausted").count() == 1
    _shot(irina, name, "w4-exhausted")
    irina.check("#widen-tsennost-kazhdogo")
    irina.click("#widen button")
    irina.wait_for_url(link)
    assert "Альянс" in irina.locator("#routed").inner_text()
    _shot(irina, name, "w5-widened")
    _mail, body, alina_link = _only(smtp_sink, 6, "alina@private.example", name, "w4-alina")

    # 4. Alina accepts; the journalist receives her e-mail address; one disclosure.
    _answer(expert, alina_link, name, "w6-alina", accept=True)
    received = _mails(smtp_sink, 8)
    (contacts_mail,) = [x for x in received[6:] if x["To"] == JOURNALIST]
    assert "Алина Альянсова" in str(contacts_mail["Subject"])
    assert "alina@private.example" in contacts_mail.get_content()
    (disclosure,) = m.Disclosure.objects.all()
    assert disclosure.expert_id == world["alina"].pk
