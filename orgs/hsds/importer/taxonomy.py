"""HSDS taxonomy terms become categories and target groups (and name coalitions)."""

from __future__ import annotations

from django.utils.text import slugify

from orgs import models as m
from orgs.hsds import vocab
from orgs.hsds.importer.bulk import by_uuid
from orgs.hsds.importer.run import BATCH, ImportRun, Plan
from orgs.hsds.importer.values import unique_slug
from orgs.selectors import category_descendant_ids


class TaxonomyTerms(ImportRun):
    """Taxonomy terms: categories, target groups, the coalitions named in the file."""

    def taxonomy_terms(self) -> None:
        cat_plans: list[Plan] = []
        group_plans: list[Plan] = []
        rows = self.valid("taxonomy_term")
        by_slug_cat = {c.slug: c for c in m.Category.objects.all()}
        by_slug_group = {g.slug: g for g in m.TargetGroup.objects.all()}
        cat_uuids = {str(c.uuid) for c in by_slug_cat.values()}
        group_uuids = {str(g.uuid) for g in by_slug_group.values()}
        taken = set(by_slug_cat)
        for row in rows:
            d = row.data
            taxonomy = str(d.get("taxonomy_id", ""))
            if taxonomy == vocab.PROJECT.id or row.id in vocab.ATTRIBUTE_TERMS_BY_ID:
                continue  # the directory's own fixed vocabulary
            if taxonomy == vocab.COALITIONS.id:
                self.coalition_terms[row.id] = row
                continue
            code = str(d.get("code") or "")
            name = str(d["name"]).strip()
            if taxonomy == vocab.TARGET_GROUPS.id:
                known = by_slug_group.get(code)
                if row.id not in group_uuids and known is not None:
                    self.groups[row.id] = known  # the same group under another id
                    self.report.unchanged["target_groups"] += 1
                    continue
                slug = slugify(code)[:80] or unique_slug(name, set(by_slug_group))
                # A target group's term carries its English name as the description (see serialize).
                english_name = str(d.get("description") or "").strip()
                values = {"name_ru": name, **({"name_en": english_name} if english_name else {})}
                create = {"slug": slug, "name_en": name, **values}
                group_plans.append(Plan(row, row.id, create=create, update=values))
                continue
            known_cat = by_slug_cat.get(code) if code else None
            if row.id not in cat_uuids and known_cat is not None:
                self.categories[row.id] = known_cat
                self.report.unchanged["categories"] += 1
                continue
            slug = (
                slugify(code)[:80]
                if code and slugify(code) and slugify(code) not in taken
                else unique_slug(name or code, taken)
            )
            taken.add(slug)
            english = str(d.get("language", "")).lower() in {"en", "eng"}
            values = {"name_en" if english else "name_ru": name, "description": str(d.get("description", ""))}
            create = {
                "slug": slug,
                "name_ru": name,
                "name_en": name,
                "description": values["description"],
                "source": f"HSDS taxonomy term {row.id} ({d.get('taxonomy') or d.get('taxonomy_id') or 'no taxonomy'})",
            }
            cat_plans.append(Plan(row, row.id, create=create, update=values))
        self.categories.update(self.apply(m.Category, cat_plans, "categories"))
        self.groups.update(self.apply(m.TargetGroup, group_plans, "target_groups"))
        self._category_parents(cat_plans)
        self.step("taxonomy_term")
        self.step("taxonomy")

    def _category_parents(self, plans: list[Plan]) -> None:
        parent_ids = {str(p.row.data["parent_id"]) for p in plans if p.row.data.get("parent_id")}
        known = by_uuid(m.Category.objects.all(), parent_ids)
        known.update({k: v for k, v in self.categories.items() if k in parent_ids})
        changed = []
        for plan in plans:
            cat = self.categories.get(plan.uuid)
            if cat is None:
                continue
            ref = plan.row.data.get("parent_id")
            if not ref:
                continue  # no parent given: the current place in the tree stays
            parent = known.get(str(ref))
            if parent is None:
                self.warn(
                    plan.row, f"its parent term {ref} is neither in this file nor in the directory; kept at the top"
                )
                continue
            if parent.pk == cat.pk or parent.parent_id == cat.pk:
                self.error(plan.row, f"parent {ref} would make a loop in the category tree")
                continue
            if cat.parent_id != parent.pk:
                cat.parent_id = parent.pk
                changed.append(cat)
        if changed:
            m.Category.objects.bulk_update(changed, ["parent"], batch_size=BATCH)
            # A category moved in the tree changes the search facets of the services below it.
            below = category_descendant_ids(c.pk for c in changed)
            self.touched.update(
                m.Service.objects.filter(categories__in=below).values_list("organisation_id", flat=True).distinct()
            )

    def term_category(self, term_id: str) -> m.Category | None:
        return self.categories.get(term_id)
