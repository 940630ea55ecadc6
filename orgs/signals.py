"""Keep derived data in step with writes, whoever makes them (services, the
admin, imports): here, the nearest-search rows of the affected organisations."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from orgs import models as m
from orgs.search import index as search_index


@receiver(pre_delete, sender=m.Organisation)
def _organisation_deleting(sender: type, instance: m.Organisation, **kwargs: Any) -> None:
    search_index.withdraw([instance.pk])


@receiver(pre_delete, sender=m.Location)
@receiver(pre_delete, sender=m.Service)
def _child_deleting(sender: type, instance: Any, **kwargs: Any) -> None:
    # The cascade is about to delete search rows; subtract them from the cluster
    # counts first (post_delete puts back the rows that remain).
    search_index.withdraw([instance.organisation_id])


@receiver(post_save, sender=m.Organisation)
def _organisation_saved(sender: type, instance: m.Organisation, **kwargs: Any) -> None:
    # A deleted organisation's rows were withdrawn in pre_delete: nothing to
    # refresh after the delete, so no post_delete receiver.
    search_index.refresh([instance.pk])


@receiver([post_save, post_delete], sender=m.Location)
@receiver([post_save, post_delete], sender=m.Service)
@receiver([post_save, post_delete], sender=m.Membership)
def _child_changed(sender: type, instance: Any, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    search_index.refresh([instance.organisation_id])


@receiver([post_save, post_delete], sender=m.ServiceAtLocation)
def _link_changed(sender: type, instance: m.ServiceAtLocation, **kwargs: Any) -> None:
    org_ids = m.Service.objects.filter(pk=instance.service_id).values_list("organisation_id", flat=True)
    search_index.refresh(list(org_ids))


@receiver(m2m_changed, sender=m.Service.categories.through)
@receiver(m2m_changed, sender=m.Service.target_groups.through)
@receiver(m2m_changed, sender=m.Service.locations.through)
def _service_m2m_changed(sender: type, instance: Any, action: str, reverse: bool, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    if isinstance(instance, (m.Service, m.Location)):
        search_index.refresh([instance.organisation_id])
    else:  # reverse side (a category or target group): every organisation with such a service
        pk_set = kwargs.get("pk_set") or set()
        model = kwargs["model"]
        if model is m.Service:
            search_index.refresh(m.Service.objects.filter(pk__in=pk_set).values_list("organisation_id", flat=True))


@receiver(post_save, sender=m.Category)
def _category_changed(sender: type, instance: m.Category, created: bool, **kwargs: Any) -> None:
    # A category moved in the tree changes the ancestor facets of the services
    # filed under it or anywhere below it.
    if created or kwargs.get("raw"):
        return
    from orgs.selectors import category_descendant_ids

    below = category_descendant_ids([instance.pk])
    search_index.refresh(
        m.Service.objects.filter(categories__in=below).values_list("organisation_id", flat=True).distinct()
    )
