"""A new organisation in Smolensk joins the Alliance by the Alliance's own
rules: its owner applies from the organisation's page and answers the
Alliance's conditions; a member recommends it, and tries again from a second
organisation of the same owner (refused, with the reason); a second,
independent member recommends it; the coordinator sees who recommended and
their words and the answers, confirms them and, the Alliance's board not yet
having met, admits it as a candidate. A year later (the term's end set in
the database, the daily ``candidate_reviews`` job run) the coordinator and
the organisation are reminded, and the coordinator makes it a member; then
suspends it with a reason and restores it. Every e-mail goes through the
outbox into a local SMTP server: its recipient, language, subject and link
are checked, and the link followed.

The organisation exists already, pending (registering is the partner
journey's; this one starts at its page)."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from orgs import models as m
from orgs import outbox, services
from tests import factories as f
from tests import people
from tests.journeys.conftest import JOURNEYS, SmtpSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 850}}
CONDITIONS = [
    {"key": "three_years", "text": "Организация ведёт практическую деятельность не менее трёх лет."},
    {"key": "not_state", "text": "Организация не государственная и не аффилирована с государством."},
]


def _arrived(sink: SmtpSink, count: int) -> list[Any]:
    deadline = time.monotonic() + 15
    while len(sink.received()) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    while outbox._running.locked() and time.monotonic() < deadline:
        time.sleep(0.05)
    return sink.received()


def _submit(page: Any, selector: str) -> Any:
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click(selector)
    page.wait_for_load_state()
    return answer.value


def _shot(page: Any, name: str, step: str) -> None:
    page.screenshot(path=str(JOURNEYS / f"admission-{name}-{step}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (step, overflow)


def _sign_in(site: Any, email: str) -> None:
    site.page.goto(f"{site.url}/accounts/login/")
    site.page.fill("#id_username", email)
    site.page.fill("#id_password", people.PASSWORD)
    site.page.click("button.primary")
    site.page.wait_for_url(f"{site.url}/partner/")


def _ru(text: Any, **values: Any) -> str:
    with translation.override("ru"):
        return str(text) % values if values else str(text)


def _mail(sink: SmtpSink, index: int, *, to: str, subject: str, link: str, name: str, step: str) -> str:
    mail = _arrived(sink, index + 1)[index]
    body = mail.get_content()
    (JOURNEYS / f"admission-{name}-mail-{step}.txt").write_text(
        f"To: {mail['To']}\nSubject: {mail['Subject']}\n\n{body}", encoding="utf-8"
    )
    assert mail["To"] == to
    # A long non-ASCII subject comes folded over lines: compare its words.
    assert " ".join(str(mail["Subject"]).split()) == subject
    links = re.findall(r"https?://\S+", body)
    # Its page, and (in the organisation's mails) the coalition's rules.
    assert links[0] == link and all(other.endswith("/networks/alliance/") for other in links[1:]), body
    return body


@pytest.mark.parametrize("name", list(VIEWPORTS))
def test_a_smolensk_organisation_joins_the_alliance_by_its_rules(
    name: str, make_site: Any, smtp_sink: SmtpSink, russian_default: None
) -> None:
    # One transaction: a published listing needs its place by the commit.
    with transaction.atomic():
        alliance = f.NetworkFactory(
            slug="alliance",
            name="Альянс «Ценность каждого»",
            roles=["member", "candidate", "partner"],
            min_recommendations=2,
            candidate_term_days=365,
            eligibility=CONDITIONS,
            contact_email="board@alliance.example",
        )
        irina = people.user("irina")
        m.NetworkCoordinator.objects.create(network=alliance, user=irina)
        # She reads her queue once a day (the per-item notices: tests/journeys/test_claims_journey.py);
        # every mail here is a decision or a reminder.
        m.NotificationPreference.objects.create(user=irina, mode=m.NotificationMode.DIGEST)
        owner = people.user("smolensk")
        org = f.OrganisationFactory(slug="smolensk-centre", name="МОО «Центр социальной поддержки женщин»")
        if org.locations.exists():
            org.locations.update(city="Смоленск")
        else:
            f.LocationFactory(organisation=org, city="Смоленск")
        m.OrganisationAccess.objects.create(organisation=org, user=owner)
        # One person owns two members; another member is independent.
        twice = people.user("twice")
        for slug, title in (("stellit", "РОО «Стеллит»"), ("stellit-2", "АНО «Стеллит-2»")):
            member = f.OrganisationFactory(slug=slug, name=title)
            f.MembershipFactory(organisation=member, network=alliance, founding=True)
            f.LocationFactory(organisation=member)
            m.OrganisationAccess.objects.create(organisation=member, user=twice)
        other = people.user("garmonia")
        garmonia = f.OrganisationFactory(slug="garmonia", name="МУ «Гармония»")
        f.MembershipFactory(organisation=garmonia, network=alliance, founding=True)
        f.LocationFactory(organisation=garmonia)
        m.OrganisationAccess.objects.create(organisation=garmonia, user=other)
    smtp_sink.up()
    applicant = make_site(viewport=VIEWPORTS[name])
    url = applicant.url

    # 1. The public page says how to join and whom to write to.
    # The first page of a fresh server (the map, the imports) can take a while on a busy machine.
    applicant.page.goto(f"{url}/networks/alliance/", wait_until="domcontentloaded", timeout=30_000)
    join = applicant.page.locator("#join-title + ul").inner_text()
    assert "2" in join and applicant.page.locator("a[href='mailto:board@alliance.example']").count() == 1
    _shot(applicant.page, name, "1-how-to-join")

    # 2. The owner applies as a member and answers the conditions.
    _sign_in(applicant, "smolensk@example.org")
    applicant.page.goto(f"{url}/partner/o/smolensk-centre/")
    applicant.page.select_option("#id_net-net_alliance", "member")
    applicant.page.check("#id_net-elig_alliance_three_years")
    applicant.page.check("#id_net-elig_alliance_not_state")
    _shot(applicant.page, name, "2-apply")
    assert _submit(applicant.page, ".apply-form button[type=submit]").status == 302
    ms = m.Membership.objects.get(organisation=org, network=alliance)
    assert (ms.status, ms.answers, ms.language) == ("applied", {"three_years": True, "not_state": True}, "ru")

    # 3. A member recommends it; the same person's second member is refused.
    member = make_site(viewport=VIEWPORTS[name])
    _sign_in(member, "twice@example.org")
    member.page.goto(f"{url}/partner/recommend/")
    member.page.select_option(f"#rec-{ms.pk}", "stellit")
    member.page.fill(f"#text-{ms.pk}", "Знаем их пять лет: ведут группы поддержки в Смоленске.")
    assert _submit(member.page, f"form:has(#rec-{ms.pk}) button").status == 302
    member.page.select_option(f"#rec-{ms.pk}", "stellit-2")
    assert _submit(member.page, f"form:has(#rec-{ms.pk}) button").status == 302
    refusal = member.page.locator(".flash").inner_text()
    assert _ru(services.membership.LINKED_WITH_RECOMMENDER, other="РОО «Стеллит»") in refusal
    _shot(member.page, name, "3-linked-refused")
    assert ms.recommendations.count() == 1
    # The independent member's recommendation (its page is the same as above).
    services.membership_recommend(user=other, recommender=garmonia, membership=ms, text="Надёжные партнёры.")

    # 4. The coordinator sees both, with their words and the answers; confirms; admits a candidate.
    coordinator = make_site(viewport=VIEWPORTS[name])
    _sign_in(coordinator, "irina@example.org")
    coordinator.page.goto(f"{url}/partner/moderation/")
    coordinator.page.click("a[href='/partner/coalitions/alliance/']")
    item = coordinator.page.locator(f"#membership-{ms.pk}")
    text = item.inner_text()
    assert "РОО «Стеллит»" in text and "Знаем их пять лет" in text and "МУ «Гармония»" in text
    assert "АНО «Стеллит-2»" not in text and CONDITIONS[0]["text"] in text
    _shot(coordinator.page, name, "4-queue")
    # Without a confirmation of the answers, no admission: the item says why.
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=accept]").status == 400
    assert _ru(services.membership.ELIGIBILITY_NOT_CONFIRMED) in item.inner_text()
    _shot(coordinator.page, name, "5-not-confirmed")
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=confirm_eligibility]").status == 302
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=accept_as_candidate]").status == 302
    ms.refresh_from_db()
    assert (ms.role, ms.status) == ("candidate", "active")
    org_page = f"{url}/partner/o/smolensk-centre/"
    values = {"org": org.name, "network": alliance.name}
    _mail(
        smtp_sink,
        0,
        to="smolensk@example.org",
        subject=_ru(services.membership.SUBJECTS["accept_as_candidate"], **values),
        link=org_page,
        name=name,
        step="candidate",
    )

    # 5. A year later: the daily job reminds the coordinator and the organisation.
    end = timezone.localdate() + dt.timedelta(days=3)
    m.Membership.objects.filter(pk=ms.pk).update(since=end - dt.timedelta(days=365), until=end)
    call_command("candidate_reviews", "--base-url", url)
    date = end.strftime("%d.%m.%Y")
    reminder = _ru(services.membership.REMINDER_SUBJECT, date=date, **values)
    _mail(
        smtp_sink,
        1,
        to="irina@example.org",
        subject=reminder,
        link=f"{url}/partner/coalitions/alliance/",
        name=name,
        step="reminder-coordinator",
    )
    _mail(smtp_sink, 2, to="smolensk@example.org", subject=reminder, link=org_page, name=name, step="reminder-org")
    # The organisation follows its link: its page shows the candidacy and its end.
    assert applicant.page.goto(org_page).status == 200
    assert alliance.name in applicant.page.locator("#coalitions-title + ul").inner_text()
    m.Membership.objects.filter(pk=ms.pk).update(until=timezone.localdate())

    # 6. The coordinator follows hers and makes it a member.
    coordinator.page.goto(f"{url}/partner/coalitions/alliance/")
    _shot(coordinator.page, name, "6-review")
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=make_member]").status == 302
    ms.refresh_from_db()
    assert (ms.role, ms.status) == ("member", "active")
    _mail(
        smtp_sink,
        3,
        to="smolensk@example.org",
        subject=_ru(services.membership.SUBJECTS["make_member"], **values),
        link=org_page,
        name=name,
        step="member",
    )

    # 7. Suspension needs a reason; then restored. Both mailed with the reason.
    coordinator.page.goto(f"{url}/partner/coalitions/alliance/")
    coordinator.page.click(f"#membership-{ms.pk} summary")
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=suspend]").status == 400
    assert _ru(services.membership.REASON_REQUIRED) in coordinator.page.locator(f"#membership-{ms.pk}").inner_text()
    coordinator.page.fill(f"#reason-{ms.pk}", "Нет отчёта за год: пришлите его правлению.")
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=suspend]").status == 302
    _shot(coordinator.page, name, "7-suspended")
    body = _mail(
        smtp_sink,
        4,
        to="smolensk@example.org",
        subject=_ru(services.membership.SUBJECTS["suspend"], **values),
        link=org_page,
        name=name,
        step="suspended",
    )
    assert "Нет отчёта за год" in body and "Причина" in body
    applicant.page.goto(org_page)
    assert "Нет отчёта за год" in applicant.page.locator("#coalitions-title + ul").inner_text()
    _shot(applicant.page, name, "8-org-sees-suspension")
    coordinator.page.fill(f"#reason-{ms.pk}", "Отчёт получен.")
    assert _submit(coordinator.page, f"#membership-{ms.pk} button[value=restore]").status == 302
    ms.refresh_from_db()
    assert ms.status == "active"
    _mail(
        smtp_sink,
        5,
        to="smolensk@example.org",
        subject=_ru(services.membership.SUBJECTS["restore"], **values),
        link=org_page,
        name=name,
        step="restored",
    )
    reasons = [h.history_change_reason for h in ms.history.order_by("history_date")]
    assert reasons[-2:] == ["suspend: Нет отчёта за год: пришлите его правлению.", "restore: Отчёт получен."]
