"""Coalition memberships, carried as organization attributes whose term is a
coalition (its role and since date in the value)."""

from __future__ import annotations

import datetime as dt

from django.utils.text import slugify

from orgs import models as m
from orgs.hsds import vocab
from orgs.hsds.importer.bulk import any_of
from orgs.hsds.importer.run import ImportRun
from orgs.hsds.importer.values import unique_slug
from orgs.hsds.tabular import Row


class Memberships(ImportRun):
    """Coalition memberships."""

    def memberships(self) -> None:
        networks = {vocab.coalition_term_id(n.slug): n for n in m.Network.objects.all()}
        wanted: dict[tuple[int, str], tuple[Row, m.Organisation, str, str, str | None]] = {}
        for org_uuid, org in self.orgs.items():
            for attr in self.attributes(org_uuid):
                term = str(attr.data["taxonomy_term_id"])
                if term in self.categories or term in self.groups:
                    continue
                if term not in networks and term not in self.coalition_terms:
                    if term in vocab.ATTRIBUTE_TERMS_BY_ID:
                        self.warn(attr, f"{vocab.ATTRIBUTE_TERMS_BY_ID[term].code} does not apply to an organization")
                    else:
                        self.warn(attr, f"taxonomy term {term} is neither in this file nor in the directory; not kept")
                    continue
                role, since = vocab.parse_membership_value(str(attr.data.get("value", "")))
                if role not in m.MembershipRole.values:
                    self.error(attr, f"role {role!r} is not member, candidate, partner or participant")
                    continue
                wanted[(org.pk, term)] = (attr, org, term, role, since)
        # Coalitions named only in the file are created (their roles from the file).
        for term, row in self.coalition_terms.items():
            if term in networks:
                continue
            roles = sorted({w[3] for w in wanted.values() if w[2] == term})
            slug = slugify(str(row.data.get("code") or "")) or unique_slug(str(row.data["name"]), set())
            network = m.Network.objects.filter(slug=slug).first()
            if network is None:
                network = m.Network(
                    slug=slug,
                    name=str(row.data["name"]),
                    description=str(row.data.get("description", "")),
                    roles=roles or ["participant"],
                    source=f"HSDS taxonomy term {term}",
                )
                if not self.clean(row, network, []):
                    continue
                network.save()
                self.report.created["networks"] += 1
            networks[term] = network
        existing = {
            (ms.organisation_id, ms.network_id): ms
            for ms in m.Membership.objects.filter(any_of(m.Membership, "organisation_id", (k[0] for k in wanted)))
        }
        new, changed = [], []
        for (_org_pk, term), (attr, org, _t, role, since_text) in wanted.items():
            network = networks[term]
            if role not in network.roles:
                self.error(attr, f"coalition {network.slug} has no role {role!r} (it has {', '.join(network.roles)})")
                continue
            try:
                since_date = dt.date.fromisoformat(since_text) if since_text else None
            except ValueError:
                self.error(attr, f"'since {since_text}' is not a date (YYYY-MM-DD)")
                continue
            current = existing.get((org.pk, network.pk))
            if current is None:
                status = m.MembershipStatus.ACTIVE if self.publish else m.MembershipStatus.APPLIED
                if status == m.MembershipStatus.ACTIVE and role == m.MembershipRole.CANDIDATE and since_date is None:
                    self.warn(attr, "a candidate needs the date its term started; kept as an application")
                    status = m.MembershipStatus.APPLIED
                new.append(
                    m.Membership(
                        organisation=org,
                        network=network,
                        role=role,
                        since=since_date,
                        status=status,
                        source=f"Imported from HSDS on {self.now:%Y-%m-%d}.",
                    )
                )
            elif current.role != role or (since_date is not None and current.since != since_date):
                current.role, current.since = role, since_date or current.since
                current.updated_at = self.now
                changed.append(current)
            else:
                self.report.unchanged["memberships"] += 1
        if new:
            self._write(m.Membership, new, create=True, history=True, fields=None)
            self.report.created["memberships"] += len(new)
        if changed:
            self._write(m.Membership, changed, create=False, history=True, fields=["role", "since", "updated_at"])
            self.report.updated["memberships"] += len(changed)
        self.touched.update(ms.organisation_id for ms in [*new, *changed])
        self.step("attribute")
