"""A coalition's admission rules, each with what is refused and that nothing
is saved (nor mailed) then: recommendations from independent active members
only, the checklist answered and confirmed, founding members, the
candidate's review and its reminders, suspension, exclusion and restoration
e-mailed in the applicant's language, co-coordinators invited by a link that
works once, the contact address, the admin's read-only memberships."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import translation

from orgs import models as m
from orgs import services
from tests import factories as f
from tests import people
from tests.partner_pages import emailed_path, make_coordinator

pytestmark = pytest.mark.django_db

CONDITIONS = [{"key": "three_years", "text": "Три года практики"}, {"key": "not_state", "text": "Не государственная"}]


@pytest.fixture
def alliance() -> m.Network:
    return f.NetworkFactory(
        slug="alliance",
        name="Альянс",
        roles=["member", "candidate", "partner"],
        min_recommendations=2,
        candidate_term_days=365,
        eligibility=CONDITIONS,
    )


@pytest.fixture
def coordinator(alliance: m.Network) -> Any:
    return make_coordinator(alliance)


def _member(network: m.Network, owner: Any, slug: str) -> m.Organisation:
    org = f.OrganisationFactory(slug=slug, name=slug)
    f.MembershipFactory(organisation=org, network=network, role="member", status="active")
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    return org


@pytest.fixture
def applicant(alliance: m.Network) -> dict[str, Any]:
    owner = people.user("applicant")
    org = f.OrganisationFactory(slug="smolensk", name="Смоленский центр")
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    with translation.override("uk"):
        ms = services.membership_apply(
            user=owner,
            organisation=org,
            network=alliance,
            role="member",
            answers={"three_years": True, "not_state": True},
        )
    # The coordinators' notice of the application (tests/test_queue_notifications.py);
    # these tests count the mails of the decisions.
    mail.outbox.clear()
    return {"owner": owner, "org": org, "ms": ms}


def _field(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return set(exc.value.message_dict)


# --- recommendations -------------------------------------------------------------------------


def test_two_independent_members_recommend_and_their_words_are_kept(alliance, applicant) -> None:
    a, b = people.user("a"), people.user("b")
    services.membership_recommend(
        user=a, recommender=_member(alliance, a, "ma"), membership=applicant["ms"], text=" Знаем их "
    )
    services.membership_recommend(user=b, recommender=_member(alliance, b, "mb"), membership=applicant["ms"])
    assert [(r.recommender.slug, r.text) for r in services.valid_recommendations(applicant["ms"])] == [
        ("ma", "Знаем их"),
        ("mb", ""),
    ]


def test_one_persons_two_members_give_one_recommendation(alliance, applicant) -> None:
    person = people.user("twice")
    first, second = _member(alliance, person, "m1"), _member(alliance, person, "m2")
    services.membership_recommend(user=person, recommender=first, membership=applicant["ms"])
    with pytest.raises(ValidationError) as exc:
        services.membership_recommend(user=person, recommender=second, membership=applicant["ms"])
    assert _field(exc) == {"recommender"} and "m1" in exc.value.messages[0]
    assert applicant["ms"].recommendations.count() == 1


def test_an_editor_shared_with_another_recommender_links_them(alliance, applicant) -> None:
    a, b = people.user("a"), people.user("b")
    first, second = _member(alliance, a, "m1"), _member(alliance, b, "m2")
    m.OrganisationAccess.objects.create(organisation=second, user=a, role="editor")
    services.membership_recommend(user=a, recommender=first, membership=applicant["ms"])
    with pytest.raises(ValidationError):
        services.membership_recommend(user=b, recommender=second, membership=applicant["ms"])
    assert applicant["ms"].recommendations.count() == 1


def test_a_member_sharing_an_owner_with_the_applicant_cannot_recommend(alliance, applicant) -> None:
    linked = _member(alliance, applicant["owner"], "linked")
    with pytest.raises(ValidationError) as exc:
        services.membership_recommend(user=applicant["owner"], recommender=linked, membership=applicant["ms"])
    assert exc.value.messages == [str(services.membership.LINKED_WITH_APPLICANT)]
    assert not m.Recommendation.objects.exists()


@pytest.mark.parametrize(("role", "status"), [("member", "suspended"), ("candidate", "active"), ("partner", "active")])
def test_only_active_members_recommend(alliance, applicant, role, status) -> None:
    person = people.user("p")
    org = f.OrganisationFactory(slug="o")
    m.OrganisationAccess.objects.create(organisation=org, user=person)
    f.MembershipFactory(organisation=org, network=alliance, role=role, status=status, since=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.membership_recommend(user=person, recommender=org, membership=applicant["ms"])
    assert _field(exc) == {"recommender"} and not m.Recommendation.objects.exists()


def test_a_recommender_suspended_later_no_longer_counts(alliance, applicant, coordinator) -> None:
    a, b = people.user("a"), people.user("b")
    ma = _member(alliance, a, "ma")
    services.membership_recommend(user=a, recommender=ma, membership=applicant["ms"])
    services.membership_recommend(user=b, recommender=_member(alliance, b, "mb"), membership=applicant["ms"])
    m.Membership.objects.filter(organisation=ma, network=alliance).update(status="suspended")
    services.membership_confirm_eligibility(user=coordinator, membership=applicant["ms"])
    with pytest.raises(ValidationError) as exc:
        services.membership_decide(user=coordinator, membership=applicant["ms"], decision="accept")
    assert "has 1" in exc.value.messages[0]
    assert m.Membership.objects.get(pk=applicant["ms"].pk).status == "applied"


# --- the checklist ---------------------------------------------------------------------------


def test_the_checklist_must_be_answered_whole(alliance) -> None:
    owner = people.user("o")
    org = f.OrganisationFactory(slug="x")
    m.OrganisationAccess.objects.create(organisation=org, user=owner)
    with pytest.raises(ValidationError) as exc:
        services.membership_apply(
            user=owner, organisation=org, network=alliance, role="member", answers={"three_years": True}
        )
    assert _field(exc) == {"answers"} and "Не государственная" in exc.value.messages[0]
    with pytest.raises(ValidationError):
        services.membership_apply(
            user=owner, organisation=org, network=alliance, role="member", answers={"invented": True}
        )
    assert not m.Membership.objects.exists()


def test_a_member_needs_confirmed_answers_and_a_no_cannot_be_confirmed(alliance, applicant, coordinator) -> None:
    for i in range(2):
        u = people.user(f"r{i}")
        services.membership_recommend(user=u, recommender=_member(alliance, u, f"r{i}"), membership=applicant["ms"])
    with pytest.raises(ValidationError) as exc:
        services.membership_decide(user=coordinator, membership=applicant["ms"], decision="accept")
    assert _field(exc) == {"eligibility"}
    services.membership_answer(
        user=applicant["owner"], membership=applicant["ms"], answers={"three_years": True, "not_state": False}
    )
    with pytest.raises(ValidationError) as exc:
        services.membership_confirm_eligibility(user=coordinator, membership=applicant["ms"])
    assert _field(exc) == {"eligibility"}
    assert m.Membership.objects.get(pk=applicant["ms"].pk).eligibility_confirmed_at is None
    services.membership_answer(
        user=applicant["owner"], membership=applicant["ms"], answers={"three_years": True, "not_state": True}
    )
    services.membership_confirm_eligibility(user=coordinator, membership=applicant["ms"])
    ms = services.membership_decide(user=coordinator, membership=applicant["ms"], decision="accept")
    assert (ms.role, ms.status) == ("member", "active")


# --- founding members ------------------------------------------------------------------------


def test_a_site_moderator_confirms_founding_members_so_an_empty_coalition_starts(alliance, moderator) -> None:
    org = f.OrganisationFactory(slug="first")
    with pytest.raises(PermissionDenied):
        services.membership_found(by=make_coordinator(alliance, "c2"), organisation=org, network=alliance)
    assert not m.Membership.objects.exists()
    ms = services.membership_found(by=moderator, organisation=org, network=alliance)
    assert (ms.role, ms.status, ms.founding, ms.decided_by) == ("member", "active", True, moderator)
    partners_only = f.NetworkFactory(slug="p", roles=["partner"])
    with pytest.raises(ValidationError) as exc:
        services.membership_found(by=moderator, organisation=org, network=partners_only)
    assert _field(exc) == {"network"}


# --- candidates: the review and its reminders ------------------------------------------------


@pytest.fixture
def candidate(alliance, applicant, coordinator) -> m.Membership:
    return services.membership_decide(
        user=coordinator, membership=applicant["ms"], decision="accept_as_candidate", today=dt.date(2026, 1, 10)
    )


def test_the_reminder_goes_once_before_the_term_ends_and_again_after_an_extension(
    candidate, coordinator, mailoutbox
) -> None:
    mailoutbox.clear()
    assert services.candidates_remind(base_url="https://h.example", today=dt.date(2026, 12, 1)) == 0
    assert services.candidates_remind(base_url="https://h.example", today=dt.date(2026, 12, 11)) == 1
    to_coordinator, to_org = mailoutbox
    assert to_coordinator.to == [coordinator.email] and "10.01.2027" in to_coordinator.subject
    assert emailed_path(to_coordinator.body) == "/partner/coalitions/alliance/"
    # The organisation applied on a Ukrainian page: it reads Ukrainian.
    assert candidate.language == "uk"
    assert to_org.to == ["applicant@example.org"]
    assert emailed_path(to_org.body) == "/partner/o/smolensk/"
    with translation.override("uk"):
        assert to_org.subject == str(services.membership.REMINDER_SUBJECT) % {
            "org": "Смоленский центр",
            "network": "Альянс",
            "date": "10.01.2027",
        }
    assert services.candidates_remind(base_url="", today=dt.date(2026, 12, 12)) == 0
    ms = services.membership_decide(
        user=coordinator, membership=candidate, decision="extend", reason="Ещё год", today=dt.date(2027, 1, 10)
    )
    assert ms.until == dt.date(2028, 1, 10) and ms.review_reminded_at is None
    out = StringIO()
    call_command("candidate_reviews", "--base-url", "https://h.example", stdout=out)
    assert out.getvalue().startswith("reminded: ")


@pytest.mark.parametrize(
    ("decision", "role", "status"), [("make_member", "member", "active"), ("end", "candidate", "ended")]
)
def test_the_review_makes_a_member_or_ends_the_candidacy(candidate, coordinator, decision, role, status) -> None:
    services.membership_confirm_eligibility(user=coordinator, membership=candidate)
    ms = services.membership_decide(user=coordinator, membership=candidate, decision=decision, reason="Решение")
    assert (ms.role, ms.status) == (role, status)
    assert ms.history.first().history_change_reason.startswith(decision)


def test_the_review_is_for_candidates_and_ending_needs_a_reason(alliance, candidate, coordinator) -> None:
    with pytest.raises(ValidationError) as exc:
        services.membership_decide(user=coordinator, membership=candidate, decision="end")
    assert _field(exc) == {"reason"}
    u = people.user("m")
    plain = _member(alliance, u, "plain")
    ms = plain.memberships.get()
    with pytest.raises(ValidationError) as exc:
        services.membership_decide(user=coordinator, membership=ms, decision="extend")
    assert _field(exc) == {"decision"}
    assert m.Membership.objects.get(pk=candidate.pk).status == "active"


# --- suspension, exclusion, restoration ------------------------------------------------------


def test_suspend_and_restore_are_mailed_in_the_applicants_language_and_recorded(
    alliance, applicant, coordinator, mailoutbox
) -> None:
    ms = applicant["ms"]
    m.Membership.objects.filter(pk=ms.pk).update(status="active", since=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError) as exc:
        services.membership_decide(user=coordinator, membership=ms, decision="suspend", reason="  ")
    assert _field(exc) == {"reason"} and mailoutbox == []
    services.membership_decide(
        user=coordinator, membership=ms, decision="suspend", reason="Не отвечают", base_url="https://h.example/"
    )
    (mail_,) = mailoutbox
    with translation.override("uk"):
        assert mail_.subject == str(services.membership.SUBJECTS["suspend"]) % {
            "org": "Смоленский центр",
            "network": "Альянс",
        }
    assert "Не отвечают" in mail_.body and emailed_path(mail_.body) == "/partner/o/smolensk/"
    with pytest.raises(ValidationError):
        services.membership_decide(user=coordinator, membership=ms, decision="suspend", reason="again")
    restored = services.membership_decide(user=coordinator, membership=ms, decision="restore", reason="Ответили")
    assert restored.status == "active"
    reasons = [h.history_change_reason for h in restored.history.order_by("history_date")]
    assert reasons[-2:] == ["suspend: Не отвечают", "restore: Ответили"]
    excluded = services.membership_decide(
        user=coordinator, membership=ms, decision="exclude", reason="Решение собрания"
    )
    assert excluded.status == "excluded"
    assert (
        services.membership_decide(user=coordinator, membership=ms, decision="restore", reason="Ошибка").status
        == "active"
    )


def test_a_coordinator_of_another_coalition_decides_nothing(alliance, applicant, mailoutbox) -> None:
    other = make_coordinator(f.NetworkFactory(slug="other"), "stranger")
    with pytest.raises(PermissionDenied):
        services.membership_decide(user=other, membership=applicant["ms"], decision="reject", reason="x")
    with pytest.raises(PermissionDenied):
        services.membership_confirm_eligibility(user=other, membership=applicant["ms"])
    assert m.Membership.objects.get(pk=applicant["ms"].pk).status == "applied" and mailoutbox == []


# --- co-coordinators and the contact address -------------------------------------------------


def test_a_coordinator_invites_a_co_coordinator_by_a_link_that_works_once(alliance, coordinator, mailoutbox) -> None:
    invitee = people.user("co")
    with pytest.raises(ValidationError) as exc:
        services.coordinator_invite(by=coordinator, network=alliance, email="not-an-address", accept_url="https://h/x")
    assert _field(exc) == {"email"} and not m.CoordinatorInvitation.objects.exists()
    with pytest.raises(PermissionDenied):
        services.coordinator_invite(by=people.user("nobody"), network=alliance, email="co@example.org", accept_url="x")
    services.coordinator_invite(
        by=coordinator,
        network=alliance,
        email="CO@example.org",
        accept_url="https://h.example/partner/coordinator-invitation/",
    )
    (message,) = mailoutbox
    assert message.to == ["co@example.org"] and "Альянс" in message.subject
    token = emailed_path(message.body).split("token=", 1)[1]
    with pytest.raises(PermissionDenied):
        services.coordinator_invitation_accept(user=people.user("wrong"), token=token)
    made = services.coordinator_invitation_accept(user=invitee, token=token)
    assert (made.user, made.appointed_by) == (invitee, coordinator)
    with pytest.raises(ValidationError) as exc:
        services.coordinator_invitation_accept(user=invitee, token=token)
    assert _field(exc) == {"token"}
    with pytest.raises(ValidationError) as exc:
        services.coordinator_invite(by=coordinator, network=alliance, email="co@example.org", accept_url="x")
    assert exc.value.messages == [str(services.ALREADY_COORDINATOR)]


def test_a_moderators_appointment_records_who_made_it(alliance, moderator) -> None:
    person = people.user("olga")
    made = services.coordinator_appoint(by=moderator, network=alliance, email=person.email)
    assert made.appointed_by == moderator


def test_coordinators_set_the_coalitions_contact_address(alliance, coordinator) -> None:
    with pytest.raises(ValidationError) as exc:
        services.network_contact_update(user=coordinator, network=alliance, contact_email="nope")
    assert _field(exc) == {"contact_email"}
    with pytest.raises(PermissionDenied):
        services.network_contact_update(user=people.user("x"), network=alliance, contact_email="a@b.org")
    assert m.Network.objects.get(pk=alliance.pk).contact_email == ""
    services.network_contact_update(user=coordinator, network=alliance, contact_email=" Board@Alliance.org ")
    assert m.Network.objects.get(pk=alliance.pk).contact_email == "board@alliance.org"
