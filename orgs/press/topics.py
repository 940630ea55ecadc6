"""Which coalitions answer a journalist's request: routing by declared topics.

Each coalition declares the categories and target groups it answers press
requests on (``Network.press_categories``, ``press_target_groups``; its
coordinators edit them). A request goes to every coalition whose declaration
fits. A coalition fits when at least one of the request's topics or groups is
one it declared, and nothing the request names contradicts it: when both
name target groups, one must be shared (psychological help to a child
survivor is STOP SED's, not the mental-health alliance's, though both declare
psychological help); likewise for categories. A category fits its broader
and narrower ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction

from orgs import models as m
from orgs import permissions
from orgs.press.inputs import slugs_to
from orgs.press.matching import category_links, related_categories
from orgs.press.rules import NOT_COORDINATOR, UNKNOWN_CATEGORY, UNKNOWN_TARGET

DEFAULT_TOPICS_PATH = Path(settings.BASE_DIR) / "fixtures" / "press_topics.json"


def networks_fitting(*, category_ids: Iterable[int], target_ids: Iterable[int]) -> list[m.Network]:
    """Every coalition whose declared press topics fit, by name."""
    cats, targets = set(category_ids), set(target_ids)
    if not cats and not targets:
        return []
    wanted_cats = related_categories(cats, category_links()) if cats else set()
    out = []
    for network in m.Network.objects.prefetch_related("press_categories", "press_target_groups").order_by("name"):
        declared_cats = {c.pk for c in network.press_categories.all()}
        declared_targets = {t.pk for t in network.press_target_groups.all()}
        cat_hit = bool(wanted_cats & declared_cats)
        target_hit = bool(targets & declared_targets)
        if not (cat_hit or target_hit):
            continue
        if targets and declared_targets and not target_hit:
            continue
        if cats and declared_cats and not cat_hit:
            continue
        out.append(network)
    return out


def route(req: m.PressRequest) -> list[m.Network]:
    """Send a confirmed request to its coalitions: the one the journalist
    chose, else every one whose topics fit. Returns them (maybe none)."""
    if req.network_id is not None:
        networks = [req.network] if req.network is not None else []
    else:
        networks = networks_fitting(
            category_ids=req.categories.values_list("pk", flat=True),
            target_ids=req.target_groups.values_list("pk", flat=True),
        )
    req.networks.set(networks)
    return networks


# --- coordinators edit their coalition's topics ------------------------------------------


def networks_coordinated(*, user: permissions.User) -> list[m.Network]:
    if permissions.is_moderator(user):
        return list(m.Network.objects.order_by("name"))
    return list(m.Network.objects.filter(pk__in=permissions.coordinated_network_ids(user)).order_by("name"))


@transaction.atomic
def network_press_topics_update(
    *,
    user: permissions.User,
    network: m.Network,
    category_slugs: Sequence[str],
    target_slugs: Sequence[str],
    answer_hours: int,
) -> m.Network:
    """A coordinator (or a moderator) sets what the coalition answers journalists on."""
    if not (permissions.is_moderator(user) or network.pk in permissions.coordinated_network_ids(user)):
        raise PermissionDenied(NOT_COORDINATOR)
    categories = slugs_to(m.Category, category_slugs, "categories", UNKNOWN_CATEGORY)
    targets = slugs_to(m.TargetGroup, target_slugs, "target_groups", UNKNOWN_TARGET)
    network = m.Network.objects.select_for_update().get(pk=network.pk)
    network.press_answer_hours = answer_hours
    network.full_clean()
    network.save(update_fields=["press_answer_hours", "updated_at"])
    network.press_categories.set(categories)
    network.press_target_groups.set(targets)
    return network


# --- the seed ----------------------------------------------------------------------------


def press_topics_seed(*, path: Path = DEFAULT_TOPICS_PATH) -> int:
    """Load the coalitions' press topics from the seed file into coalitions
    that have none yet (a coordinator's edit is never overwritten). Returns
    how many coalitions were given topics."""
    data = json.loads(path.read_text(encoding="utf-8"))
    done = 0
    with transaction.atomic():
        for slug, topics in data["networks"].items():
            network = m.Network.objects.filter(slug=slug).first()
            if network is None or network.press_categories.exists() or network.press_target_groups.exists():
                continue
            categories = m.Category.objects.filter(slug__in=topics.get("categories", []))
            targets = m.TargetGroup.objects.filter(slug__in=topics.get("target_groups", []))
            network.press_categories.set(categories)
            network.press_target_groups.set(targets)
            done += bool(categories or targets)
    return done
