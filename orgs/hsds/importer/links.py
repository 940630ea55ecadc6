"""HSDS service_at_location rows become the links between a service and the
locations where it is given."""

from __future__ import annotations

from orgs import models as m
from orgs.hsds.importer.bulk import any_of, by_uuid
from orgs.hsds.importer.run import ImportRun, Plan


class Links(ImportRun):
    """Services at locations."""

    def links(self) -> None:
        rows = self.valid("service_at_location")
        db_locations = by_uuid(
            m.Location.objects.all(), {str(r.data.get("location_id")) for r in rows} - set(self.locations)
        )
        db_services = by_uuid(
            m.Service.objects.all(), {str(r.data.get("service_id")) for r in rows} - set(self.services)
        )
        pairs = {
            (link.service_id, link.location_id): link
            for link in m.ServiceAtLocation.objects.filter(
                any_of(
                    m.ServiceAtLocation, "service_id", (s.pk for s in [*self.services.values(), *db_services.values()])
                )
            )
        }
        plans = []
        for row in rows:
            sref, lref = str(row.data.get("service_id", "")), str(row.data.get("location_id", ""))
            svc = self.services.get(sref) or db_services.get(sref)
            loc = self.locations.get(lref) or db_locations.get(lref)
            if svc is None:
                self.missing(row, "service", sref or "(none)", "service")
                continue
            if loc is None:
                self.missing(row, "location", lref or "(none)", "location")
                continue
            if svc.organisation_id != loc.organisation_id:
                self.error(row, "its service and its location belong to different organisations")
                continue
            same_pair = pairs.get((svc.pk, loc.pk))
            if same_pair is not None and str(same_pair.uuid) != row.id:
                self.report.unchanged["service_at_locations"] += 1  # the same link under another id
                continue
            ids = {"service_id": svc.pk, "location_id": loc.pk}
            plans.append(Plan(row, row.id, create=ids, update=ids))
            self.link_orgs[svc.pk] = svc.organisation_id
        self.apply(m.ServiceAtLocation, plans, "service_at_locations")
        self.step("service_at_location")
