"""HSDS organizations and their identifiers become organisations (ОГРН and ИНН
are fields of the organisation, other registry identifiers rows of their own)."""

from __future__ import annotations

from typing import Any

from orgs import models as m
from orgs.hsds.importer.bulk import by_uuid
from orgs.hsds.importer.run import BATCH, ImportRun, Plan
from orgs.hsds.importer.values import first_country, identifier_scheme, legal_form, unique_slug
from orgs.hsds.tabular import Row, Source
from orgs.validators import inn_is_valid, ogrn_is_valid


class Organisations(ImportRun):
    """Organizations, their identifiers, and the publication of new ones."""

    def organisations(self) -> None:
        rows = self.valid("organization")
        identifiers = self.children("organization_identifier", "organization_id")
        addresses_by_location = self.children("address", "location_id")
        locations_by_org = self.children("location", "organization_id")
        slugs = set(m.Organisation.objects.values_list("slug", flat=True))
        # Organisations that will likely be findable (checked again in publish_new).
        findable = {
            str(r.data.get("organization_id")) for r in self.valid("location") if r.data["location_type"] != "postal"
        }
        findable |= {str(r.data.get("organization_id")) for r in self.valid("service")}
        plans = []
        for row in rows:
            d = row.data
            update: dict[str, Any] = {"name": str(d["name"]).strip(), "description": str(d.get("description", ""))}
            for key, name in (("email", "email"), ("website", "website")):
                if key in d:
                    update[name] = str(d[key]).strip()
            if "legal_status" in d:
                update["legal_form"] = legal_form(str(d["legal_status"]))
            if d.get("tax_id"):
                tax = str(d["tax_id"]).strip()
                if inn_is_valid(tax):
                    update["inn"] = tax
                else:
                    self.warn(row, f"tax_id {tax!r} is not a valid ИНН; not kept")
            for ident in identifiers.get(row.id, []):
                scheme = identifier_scheme(ident)
                value = str(ident.data["identifier"]).strip()
                if scheme == "RU-OGRN":
                    if ogrn_is_valid(value):
                        update["ogrn"] = value
                    else:
                        self.error(
                            ident, f"ОГРН {value!r} is not valid (13 digits, or 15 for ОГРНИП, right check digit)"
                        )
                elif scheme == "RU-INN":
                    if inn_is_valid(value):
                        update["inn"] = value
                    else:
                        self.error(ident, f"ИНН {value!r} is not valid (10 digits, or 12, right check digit)")
            country = first_country(locations_by_org.get(row.id, []), addresses_by_location)
            create = {
                **{"legal_form": m.LegalForm.OTHER},
                **update,
                "country": country or "RU",
                "slug": unique_slug(update["name"], slugs, limit=100),
                "status": m.PublicationStatus.PUBLISHED
                if self.publish and row.id in findable
                else m.PublicationStatus.PENDING,
                "source": f"Imported from HSDS ({row.source.file}) on {self.now:%Y-%m-%d}.",
            }
            slugs.add(create["slug"])
            plans.append(Plan(row, row.id, create=create, update=update))
        plans = self._unique_identifiers(plans)
        existing = by_uuid(m.Organisation.objects.all(), (p.uuid for p in plans))
        self.orgs.update(self.apply(m.Organisation, plans, "organisations", existing))
        self.new_orgs = set(self.orgs) - set(existing)
        self.step("organization")

    def _unique_identifiers(self, plans: list[Plan]) -> list[Plan]:
        """An ОГРН is unique: refuse one that another organisation (in the
        directory or earlier in this file) already has."""
        wanted = {p.update["ogrn"]: p for p in reversed(plans) if p.update.get("ogrn")}
        owners = dict(m.Organisation.objects.filter(ogrn__in=list(wanted)).values_list("ogrn", "uuid"))
        seen: dict[str, str] = {}
        kept = []
        for plan in plans:
            ogrn = plan.update.get("ogrn")
            owner = owners.get(ogrn) if ogrn else None
            if ogrn and ((owner is not None and str(owner) != plan.uuid) or seen.get(ogrn, plan.uuid) != plan.uuid):
                self.error(plan.row, f"ОГРН {ogrn} belongs to another organisation; ask to merge them instead")
                continue
            if ogrn:
                seen[ogrn] = plan.uuid
            kept.append(plan)
        return kept

    def identifiers(self) -> None:
        """Registry identifiers other than ОГРН/ИНН (those are fields of the organisation)."""
        rows = [r for r in self.valid("organization_identifier") if identifier_scheme(r) not in {"RU-OGRN", "RU-INN"}]
        wanted: dict[tuple[str, str], tuple[Row, m.Organisation]] = {}
        for row in rows:
            org_ref = str(row.data.get("organization_id", ""))
            org = self.orgs.get(org_ref)
            if org is None:
                if org_ref and org_ref not in self.failed["organization"]:
                    org = m.Organisation.objects.filter(uuid=org_ref).first()
                if org is None:
                    self.missing(row, "organization", org_ref or "(none)", "organization")
                    continue
            scheme = identifier_scheme(row)[:60]
            wanted[(scheme, str(row.data["identifier"]).strip()[:60])] = (row, org)
        existing = {
            (i.scheme, i.identifier): i
            for i in m.OrganisationIdentifier.objects.filter(identifier__in=[k[1] for k in wanted])
        }
        new = []
        for (scheme, identifier), (row, org) in wanted.items():
            current = existing.get((scheme, identifier))
            if current is not None:
                if current.organisation_id != org.pk:
                    self.error(row, f"{scheme} {identifier} belongs to another organisation")
                else:
                    self.report.unchanged["identifiers"] += 1
                continue
            country = scheme[:2] if len(scheme) > 2 and scheme[2] == "-" and scheme[:2].isalpha() else ""
            obj = m.OrganisationIdentifier(
                organisation=org, scheme=scheme, identifier=identifier, country=country.upper()
            )
            if self.clean(row, obj, ["organisation"]):
                new.append((row, obj))
        if new:
            m.OrganisationIdentifier.objects.bulk_create([o for _, o in new], batch_size=BATCH)
            self.report.created["identifiers"] += len(new)
        self.step("organization_identifier")

    def publish_new(self) -> None:
        """With ``publish``, the organisations created now were published; one
        that cannot be found after all (no location, no online or phone
        service) goes back to pending, as a published listing must be findable."""
        if not self.publish:
            return
        lacking = []
        for u in self.new_orgs:
            org = self.orgs[u]
            if org.status == m.PublicationStatus.PUBLISHED and org.pk not in self.present_orgs:
                org.status = m.PublicationStatus.PENDING
                lacking.append(org)
                self.warn(
                    Source("(import)"), "no location and no online or phone service; left pending", "organization", u
                )
        if lacking:
            self._write(m.Organisation, lacking, create=False, history=True, fields=["status"])
