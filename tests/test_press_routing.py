"""Routing a journalist's request by the coalitions' declared press topics,
the answer window on the expert's clock, the coordinators' topics page, the
page a coordinator of another coalition sees, and widening the search."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from orgs import models as m
from orgs import press
from orgs.press.times import add_working_hours, answer_window_end, in_zone
from tests import factories as f
from tests import people

pytestmark = pytest.mark.django_db

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
YEKT = zoneinfo.ZoneInfo("Asia/Yekaterinburg")


@pytest.fixture
def coalitions() -> dict[str, Any]:
    direct = f.CategoryFactory(slug="direct-help")
    psych = f.CategoryFactory(slug="psychological-help", parent=direct)
    f.CategoryFactory(slug="medical-psychiatric-help", parent=direct)
    f.CategoryFactory(slug="harm-reduction", parent=direct)
    children = f.TargetGroupFactory(slug="children-sexual-violence-survivors-and-parents")
    mental = f.TargetGroupFactory(slug="people-with-mental-disorders-and-families")
    f.TargetGroupFactory(slug="people-who-use-drugs")
    f.TargetGroupFactory(slug="active-citizens")
    nets = {
        slug: f.NetworkFactory(slug=slug, name=name)
        for slug, name in (
            ("stop-sed", "СТОП СЭД"),
            ("tsennost-kazhdogo", "Альянс"),
            ("runpud", "RuNPUD"),
            ("tsentry-aktivnykh-lyudei", "ЦАЛ"),
        )
    }
    assert press.press_topics_seed() == 4
    return {"psych": psych, "direct": direct, "children": children, "mental": mental, **nets}


def test_the_seed_gives_topics_once_and_keeps_a_coordinators_edit(coalitions) -> None:
    stop_sed = coalitions["stop-sed"]
    assert "psychological-help" in stop_sed.press_categories.values_list("slug", flat=True)
    stop_sed.press_categories.set([coalitions["direct"]])
    assert press.press_topics_seed() == 0
    assert list(stop_sed.press_categories.values_list("slug", flat=True)) == ["direct-help"]


def test_a_child_survivors_psychological_help_goes_to_stop_sed_only(coalitions) -> None:
    fitting = press.networks_fitting(category_ids=[coalitions["psych"].pk], target_ids=[coalitions["children"].pk])
    assert [n.slug for n in fitting] == ["stop-sed"]


def test_psychological_help_alone_goes_to_every_coalition_declaring_it(coalitions) -> None:
    fitting = press.networks_fitting(category_ids=[coalitions["psych"].pk], target_ids=[])
    assert sorted(n.slug for n in fitting) == ["stop-sed", "tsennost-kazhdogo"]


def test_a_broader_topic_fits_the_narrower_ones_declared(coalitions) -> None:
    fitting = press.networks_fitting(category_ids=[coalitions["direct"].pk], target_ids=[coalitions["mental"].pk])
    assert [n.slug for n in fitting] == ["tsennost-kazhdogo"]


def test_nothing_named_goes_to_no_coalition(coalitions) -> None:
    assert press.networks_fitting(category_ids=[], target_ids=[]) == []


# --- time ---------------------------------------------------------------------------------


def test_working_hours_skip_the_night_and_the_weekend() -> None:
    friday_evening = dt.datetime(2026, 12, 4, 18, 0, tzinfo=YEKT)  # a Friday, 18:00
    end = add_working_hours(friday_evening, 3, YEKT)
    assert end.astimezone(YEKT) == dt.datetime(2026, 12, 7, 11, 0, tzinfo=YEKT)  # Monday 11:00
    night = dt.datetime(2026, 12, 1, 22, 44, tzinfo=YEKT)
    assert add_working_hours(night, 1, YEKT).astimezone(YEKT) == dt.datetime(2026, 12, 2, 10, 0, tzinfo=YEKT)


def test_the_window_is_the_coalitions_and_ends_before_the_deadlines_margin(coalitions, settings) -> None:
    settings.PRESS_DEADLINE_MARGIN_HOURS = 3
    now = dt.datetime(2026, 12, 1, 19, 44, tzinfo=dt.UTC)  # 22:44 in Moscow
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=coalitions["stop-sed"])
    expert = f.ExpertFactory(organisation=org)
    req = f.PressRequestFactory(deadline=now + dt.timedelta(days=10), network=coalitions["stop-sed"])
    req.networks.set([coalitions["stop-sed"]])
    assert answer_window_end(req, expert, now=now) == now + dt.timedelta(hours=48)
    coalitions["stop-sed"].press_answer_hours = 6
    coalitions["stop-sed"].save()
    assert answer_window_end(req, expert, now=now) == now + dt.timedelta(hours=6)  # past the morning
    expert.time_zone = "Europe/Moscow"
    assert answer_window_end(req, expert, now=now).astimezone(MSK) == dt.datetime(2026, 12, 2, 15, 0, tzinfo=MSK)
    req.deadline = now + dt.timedelta(hours=5)
    assert answer_window_end(req, expert, now=now) == now + dt.timedelta(hours=2)


def test_a_time_is_shown_on_the_readers_clock_with_its_zone() -> None:
    moment = dt.datetime(2026, 12, 5, 15, 0, tzinfo=dt.UTC)
    assert in_zone(moment, "Europe/Moscow").endswith("18:00 (Europe/Moscow, UTC+03:00)")
    assert in_zone(moment, "Asia/Yekaterinburg").endswith("20:00 (Asia/Yekaterinburg, UTC+05:00)")


# --- coordinators -------------------------------------------------------------------------


def _confirmed(coalitions: dict[str, Any]) -> m.PressRequest:
    created = press.press_request_create(
        data={
            "journalist_name": "Мария",
            "outlet": "Лента",
            "email": "maria@media.example",
            "topic": "Помощь ребёнку",
            "categories": ["psychological-help"],
            "target_groups": ["children-sexual-violence-survivors-and-parents"],
            "deadline": timezone.now() + dt.timedelta(days=3),
        },
        client_ip=None,
        base_url="http://testserver",
    )
    req, _tracking = press.press_request_confirm(token=created.confirm_token, base_url="http://testserver")
    return req


def test_only_the_fitting_coalitions_coordinators_see_and_hear_of_it(coalitions) -> None:
    irina, alla = people.user("irina"), people.user("alla")
    m.NetworkCoordinator.objects.create(network=coalitions["stop-sed"], user=irina)
    m.NetworkCoordinator.objects.create(network=coalitions["tsennost-kazhdogo"], user=alla)
    req = _confirmed(coalitions)
    assert [n.slug for n in req.networks.all()] == ["stop-sed"]
    assert [x.to for x in mail.outbox if "/press/coordinate/" in x.body] == [["irina@example.org"]]
    assert list(press.press_requests_for(user=irina)) == [req]
    assert list(press.press_requests_for(user=alla)) == []

    page = people.pages_as(alla).get(f"/press/coordinate/{req.pk}/", headers={"accept-language": "ru"})
    assert page.status_code == 403
    assert "СТОП СЭД" in page.content.decode() and 'lang="ru"' in page.content.decode()
    stranger = people.pages_as(people.user("nobody")).get(f"/press/coordinate/{req.pk}/")
    assert stranger.status_code == 403 and "СТОП СЭД" not in stranger.content.decode()


def test_widening_asks_the_other_coalitions_best_expert(coalitions) -> None:
    irina = people.user("irina")
    m.NetworkCoordinator.objects.create(network=coalitions["stop-sed"], user=irina)
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=coalitions["tsennost-kazhdogo"])
    alina = f.ExpertFactory(organisation=org, email="alina@private.example")
    alina.topics.set([coalitions["psych"]])
    req = _confirmed(coalitions)
    assert press.experts_ranked(press_request=req) == []
    with pytest.raises(ValidationError):
        press.press_request_widen(user=irina, press_request=req, network_ids=[], base_url="http://testserver")
    with pytest.raises(PermissionDenied):
        press.press_request_widen(
            user=people.user("alla"),
            press_request=req,
            network_ids=[coalitions["tsennost-kazhdogo"].pk],
            base_url="http://testserver",
        )
    invitation = press.press_request_widen(
        user=irina, press_request=req, network_ids=[coalitions["tsennost-kazhdogo"].pk], base_url="http://testserver"
    )
    assert invitation is not None and invitation.expert == alina
    assert mail.outbox[-1].to == ["alina@private.example"]


def test_coordinators_edit_their_coalitions_press_topics_on_a_page(coalitions) -> None:
    irina = people.user("irina")
    m.NetworkCoordinator.objects.create(network=coalitions["stop-sed"], user=irina)
    client = people.pages_as(irina)
    page = client.get("/press/coordinate/topics/")
    assert page.status_code == 200 and "network-stop-sed" in page.content.decode()
    assert "network-runpud" not in page.content.decode()
    bad = client.post(
        "/press/coordinate/topics/",
        {"network": "stop-sed", "stop-sed-answer_hours": "0", "stop-sed-categories": ["psychological-help"]},
    )
    assert bad.status_code == 400
    assert coalitions["stop-sed"].press_answer_hours == m.PRESS_ANSWER_HOURS_DEFAULT
    done = client.post(
        "/press/coordinate/topics/",
        {"network": "stop-sed", "stop-sed-answer_hours": "24", "stop-sed-categories": ["psychological-help"]},
    )
    assert done.status_code == 302
    net = m.Network.objects.get(slug="stop-sed")
    assert net.press_answer_hours == 24
    assert list(net.press_categories.values_list("slug", flat=True)) == ["psychological-help"]
    assert not net.press_target_groups.exists()
    # Another coalition's form is not hers to post.
    assert (
        client.post("/press/coordinate/topics/", {"network": "runpud", "runpud-answer_hours": "5"}).status_code == 404
    )
    assert people.pages_as(people.user("nobody")).get("/press/coordinate/topics/").status_code == 404


def test_the_decline_link_only_shows_the_page_and_declines_on_the_press(coalitions) -> None:
    req = _confirmed(coalitions)
    org = f.OrganisationFactory()
    f.MembershipFactory(organisation=org, network=coalitions["stop-sed"])
    expert = f.ExpertFactory(organisation=org, email="olga@private.example")
    expert.topics.set([coalitions["psych"]])
    press.press_request_send(
        user=people.moderator(), press_request=req, expert_ids=[expert.pk], base_url="http://testserver"
    )
    decline_link = next(w for w in mail.outbox[-1].body.split() if "answer=decline" in w)
    page = people.pages_as().get(decline_link.removeprefix("http://testserver"))
    assert page.status_code == 200 and 'id="decline-note"' in page.content.decode()
    assert m.ExpertInvitation.objects.get().status == m.InvitationStatus.SENT
