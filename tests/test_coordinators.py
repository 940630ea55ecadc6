"""Appointing and removing a coalition's coordinator: only site moderators,
only existing active accounts, refusals on the ``email`` field, nothing
half-saved, the e-mails (recipient, language, subject, a link that works for
the person), the page, the admin's read-only inline and the command."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from orgs import models as m
from orgs import services
from orgs.services import coordinators as coordinator_service
from tests import factories as f
from tests import people
from tests.partner_pages import emailed_path, field_errors, make_coordinator, page_text

pytestmark = pytest.mark.django_db

PAGE = "/partner/moderation/coordinators/"


@pytest.fixture
def stop_sed() -> m.Network:
    return f.NetworkFactory(slug="stop-sed", name="СТОП СЭД", roles=["participant"])


@pytest.fixture
def person() -> Any:
    return people.user("olga")


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


# --- the service ---------------------------------------------------------------------------------


def test_a_moderator_appoints_by_address_in_any_case(moderator, stop_sed, person, mailoutbox) -> None:
    coordinator = services.coordinator_appoint(
        by=moderator, network=stop_sed, email="  OLGA@Example.org ", base_url="https://help.example/"
    )
    assert coordinator.user == person and coordinator.network == stop_sed and coordinator.created_at
    (message,) = mailoutbox
    assert message.to == ["olga@example.org"]
    assert message.subject == "Help Locator: you now coordinate “СТОП СЭД”"
    assert "СТОП СЭД" in message.body and "decide on applications to join the coalition" in message.body
    assert "Moderation queue: https://help.example/partner/moderation/" in message.body


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("nobody@example.org", services.NO_ACCOUNT),
        ("", services.EMAIL_REQUIRED),
    ],
)
def test_an_address_without_an_account_is_refused_on_the_email_field(
    moderator, stop_sed, person, mailoutbox, email, message
) -> None:
    with pytest.raises(ValidationError) as exc:
        services.coordinator_appoint(by=moderator, network=stop_sed, email=email)
    assert _errors(exc) == {"email": [str(message)]}
    assert not m.NetworkCoordinator.objects.exists() and mailoutbox == []


def test_the_no_account_message_says_what_to_do() -> None:
    assert str(services.NO_ACCOUNT) == (
        "No account uses this address: ask the person to sign up first, then appoint them."
    )


def test_an_inactive_account_is_not_appointed(moderator, stop_sed, person) -> None:
    person.is_active = False
    person.save()
    with pytest.raises(ValidationError) as exc:
        services.coordinator_appoint(by=moderator, network=stop_sed, email=person.email)
    assert _errors(exc) == {"email": [str(services.NO_ACCOUNT)]}


def test_appointing_twice_is_refused(moderator, stop_sed, person, mailoutbox) -> None:
    services.coordinator_appoint(by=moderator, network=stop_sed, email=person.email)
    with pytest.raises(ValidationError) as exc:
        services.coordinator_appoint(by=moderator, network=stop_sed, email=person.email.upper())
    assert _errors(exc) == {"email": [str(services.ALREADY_COORDINATOR)]}
    assert m.NetworkCoordinator.objects.count() == 1 and len(mailoutbox) == 1


def test_two_accounts_of_one_address_are_not_guessed_between(moderator, stop_sed, person) -> None:
    from django.contrib.auth.models import User

    User.objects.create_user("olga-2", "Olga@example.org", people.PASSWORD)
    with pytest.raises(ValidationError) as exc:
        services.coordinator_appoint(by=moderator, network=stop_sed, email="olga@example.org")
    assert _errors(exc) == {"email": [str(services.SEVERAL_ACCOUNTS)]}


@pytest.mark.parametrize("who", ["partner", "coordinator", "inactive moderator"])
def test_only_site_moderators_appoint_and_remove(stop_sed, person, mailoutbox, who) -> None:
    if who == "partner":
        actor = people.user("partner")
    elif who == "coordinator":
        actor = make_coordinator(stop_sed)
    else:
        actor = people.moderator("old-moder")
        actor.is_active = False
        actor.save()
    before = m.NetworkCoordinator.objects.count()
    with pytest.raises(PermissionDenied):
        services.coordinator_appoint(by=actor, network=stop_sed, email=person.email)
    target = m.NetworkCoordinator.objects.create(network=stop_sed, user=person)
    with pytest.raises(PermissionDenied):
        services.coordinator_remove(by=actor, coordinator=target)
    assert m.NetworkCoordinator.objects.count() == before + 1 and mailoutbox == []


def test_removal_ends_the_rights_and_tells_the_person(moderator, stop_sed, person, mailoutbox) -> None:
    from orgs import permissions

    coordinator = services.coordinator_appoint(by=moderator, network=stop_sed, email=person.email)
    assert permissions.coordinates(person, stop_sed)
    services.coordinator_remove(by=moderator, coordinator=coordinator, base_url="https://help.example")
    assert not permissions.coordinates(person, stop_sed)
    removal = mailoutbox[-1]
    assert removal.to == [person.email]
    assert removal.subject == "Help Locator: you no longer coordinate “СТОП СЭД”"
    assert "no longer a coordinator" in removal.body
    # Removed meanwhile by another moderator: nothing more happens.
    services.coordinator_remove(by=moderator, coordinator=coordinator)
    assert len(mailoutbox) == 2


def test_the_mail_is_in_the_sites_language_not_the_moderators(
    moderator, stop_sed, person, russian_default, monkeypatch
) -> None:
    """The project records no language per person: the reader gets the site's
    default (Russian), even when the moderator reads the pages in English."""
    languages: list[str | None] = []
    sent = coordinator_service._notify

    def spy(**kwargs: Any) -> None:
        languages.append(translation.get_language())
        sent(**kwargs)

    monkeypatch.setattr(coordinator_service, "_notify", spy)
    with translation.override("en"):
        coordinator = services.coordinator_appoint(
            by=moderator, network=stop_sed, email=person.email, base_url="https://help.example"
        )
        services.coordinator_remove(by=moderator, coordinator=coordinator)
    assert languages == ["ru", "ru"]
    # A line already translated shows it is Russian, not only the language code.
    assert "Очередь модерации: https://help.example/partner/moderation/" in mail.outbox[0].body


def test_the_mailed_link_opens_the_coalitions_queue_for_the_person(moderator, stop_sed, person, mailoutbox) -> None:
    applicant = f.OrganisationFactory(slug="new-org", name="АНО «Новая»", status="pending")
    f.MembershipFactory(organisation=applicant, network=stop_sed, status="applied", role="participant")
    services.coordinator_appoint(by=moderator, network=stop_sed, email=person.email, base_url="http://testserver/")
    path = emailed_path(mailoutbox[0].body)
    assert path == reverse("frontend:partner:moderation")
    # Before, this person had no queue; now it holds the coalition's applicant.
    response = people.pages_as(person).get(path)
    assert response.status_code == 200
    assert "АНО «Новая»" in page_text(response)


# --- the page ------------------------------------------------------------------------------------


def test_the_page_lists_coalitions_and_appoints_with_errors_on_the_field(moderator, stop_sed, person) -> None:
    other = f.NetworkFactory(slug="alliance", name="Альянс")
    existing = make_coordinator(other, "ivan")
    client = people.pages_as(moderator)
    page = page_text(client.get(PAGE))
    assert "СТОП СЭД" in page and "Альянс" in page and existing.email in page
    assert "No coordinator yet." in page
    appoint = reverse("frontend:partner:coordinator_appoint", args=["stop-sed"])
    refused = client.post(appoint, {"net-stop-sed-email": "olga@exmaple.org"})
    assert refused.status_code == 400
    assert field_errors(page_text(refused), "net-stop-sed-email") == [str(services.NO_ACCOUNT)]
    assert 'value="olga@exmaple.org"' in page_text(refused)
    assert field_errors(page_text(refused), "net-alliance-email") == []
    malformed = client.post(appoint, {"net-stop-sed-email": "olga at example"})
    assert malformed.status_code == 400 and field_errors(page_text(malformed), "net-stop-sed-email")
    assert not m.NetworkCoordinator.objects.filter(network=stop_sed).exists()
    done = client.post(appoint, {"net-stop-sed-email": "olga@example.org"}, follow=True)
    assert "olga@example.org now coordinates СТОП СЭД" in page_text(done)
    assert m.NetworkCoordinator.objects.filter(network=stop_sed, user=person).exists()


def test_what_was_typed_is_escaped(moderator, stop_sed) -> None:
    response = people.pages_as(moderator).post(
        reverse("frontend:partner:coordinator_appoint", args=["stop-sed"]),
        {"net-stop-sed-email": "<script>alert(1)</script>@x.org"},
    )
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_removing_asks_first_and_needs_a_post(moderator, stop_sed, person, mailoutbox) -> None:
    coordinator = m.NetworkCoordinator.objects.create(network=stop_sed, user=person)
    client = people.pages_as(moderator)
    url = reverse("frontend:partner:coordinator_remove", args=[coordinator.pk])
    assert url in page_text(client.get(PAGE))
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Remove olga@example.org as a coordinator of СТОП СЭД?" in page_text(confirm)
    assert m.NetworkCoordinator.objects.filter(pk=coordinator.pk).exists()
    csrf_checked = people.pages_as(moderator)
    csrf_checked.handler.enforce_csrf_checks = True
    assert csrf_checked.post(url).status_code == 403
    done = client.post(url, follow=True)
    assert "olga@example.org no longer coordinates СТОП СЭД" in page_text(done)
    assert not m.NetworkCoordinator.objects.filter(pk=coordinator.pk).exists()
    assert mailoutbox[-1].to == [person.email]


@pytest.mark.parametrize("who", ["partner", "coordinator"])
def test_the_page_is_not_found_for_anyone_but_site_moderators(stop_sed, person, who) -> None:
    actor = people.user("partner") if who == "partner" else make_coordinator(stop_sed)
    target = m.NetworkCoordinator.objects.create(network=stop_sed, user=person)
    client = people.pages_as(actor)
    assert client.get(PAGE).status_code == 404
    assert (
        client.post(
            reverse("frontend:partner:coordinator_appoint", args=["stop-sed"]), {"net-stop-sed-email": actor.email}
        ).status_code
        == 404
    )
    # A GET of the appoint URL tells a stranger nothing either (no 405 before the 404).
    assert client.get(reverse("frontend:partner:coordinator_appoint", args=["stop-sed"])).status_code == 404
    remove = reverse("frontend:partner:coordinator_remove", args=[target.pk])
    assert client.get(remove).status_code == 404 and client.post(remove).status_code == 404
    assert m.NetworkCoordinator.objects.filter(network=stop_sed).count() == (2 if who == "coordinator" else 1)


def test_the_appoint_url_takes_only_a_post_from_a_moderator(moderator, stop_sed) -> None:
    response = people.pages_as(moderator).get(reverse("frontend:partner:coordinator_appoint", args=["stop-sed"]))
    assert response.status_code == 405


def test_a_visitor_is_sent_to_sign_in(stop_sed) -> None:
    response = people.pages_as().get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_queue_links_to_the_page_for_moderators_only(moderator, stop_sed) -> None:
    assert PAGE in page_text(people.pages_as(moderator).get("/partner/moderation/"))
    assert PAGE not in page_text(people.pages_as(make_coordinator(stop_sed)).get("/partner/moderation/"))


# --- the admin -----------------------------------------------------------------------------------


def test_the_admin_shows_coordinators_read_only_and_points_to_the_page(admin_client, stop_sed, person) -> None:
    m.NetworkCoordinator.objects.create(network=stop_sed, user=person)
    url = reverse("admin:orgs_network_change", args=[stop_sed.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    text = page_text(response)
    assert person.username in text and f"{PAGE}#network-stop-sed" in text
    (inline,) = [i for i in response.context["inline_admin_formsets"] if i.opts.model is m.NetworkCoordinator]
    assert not inline.has_add_permission and not inline.has_change_permission and not inline.has_delete_permission


# --- the command ---------------------------------------------------------------------------------


def test_the_command_appoints_the_first_coordinator_as_the_system(stop_sed, person, mailoutbox) -> None:
    out = StringIO()
    call_command(
        "appoint_coordinator", "stop-sed", "Olga@example.org", "--base-url", "https://help.example", stdout=out
    )
    assert "olga@example.org now coordinates stop-sed" in out.getvalue()
    assert m.NetworkCoordinator.objects.filter(network=stop_sed, user=person).exists()
    assert mailoutbox[0].to == [person.email]
    assert re.search(r"https://help\.example/partner/moderation/", mailoutbox[0].body)


def test_the_command_says_what_went_wrong(stop_sed, person) -> None:
    with pytest.raises(CommandError, match=re.escape("No coalition has the slug 'nope'. Known: stop-sed.")):
        call_command("appoint_coordinator", "nope", person.email)
    with pytest.raises(CommandError, match="No account uses this address"):
        call_command("appoint_coordinator", "stop-sed", "nobody@example.org")
