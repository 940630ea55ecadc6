from __future__ import annotations

from django.db import migrations

# A published organisation must be findable: it needs at least one location or
# a service offered online or by phone. The rule spans three tables, so it is a
# deferred constraint trigger (checked at commit, after a whole registration has
# been written) rather than a CHECK constraint.
SQL = """
CREATE FUNCTION orgs_published_has_presence() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    org_id bigint;
BEGIN
    IF TG_TABLE_NAME = 'orgs_organisation' THEN
        org_id := NEW.id;
    ELSE
        org_id := OLD.organisation_id;
    END IF;
    IF EXISTS (SELECT 1 FROM orgs_organisation o WHERE o.id = org_id AND o.status = 'published')
       AND NOT EXISTS (SELECT 1 FROM orgs_location l WHERE l.organisation_id = org_id)
       AND NOT EXISTS (SELECT 1 FROM orgs_service s WHERE s.organisation_id = org_id
                       AND s.formats && ARRAY['online', 'phone']::varchar[])
    THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            CONSTRAINT = 'org_published_has_presence',
            MESSAGE = format('published organisation %s has no location and no online or phone service', org_id);
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER org_published_has_presence
    AFTER INSERT OR UPDATE OF status ON orgs_organisation
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION orgs_published_has_presence();
CREATE CONSTRAINT TRIGGER location_removal_keeps_presence
    AFTER DELETE OR UPDATE OF organisation_id ON orgs_location
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION orgs_published_has_presence();
CREATE CONSTRAINT TRIGGER service_removal_keeps_presence
    AFTER DELETE OR UPDATE OF organisation_id, formats ON orgs_service
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    EXECUTE FUNCTION orgs_published_has_presence();
"""

REVERSE = """
DROP TRIGGER IF EXISTS service_removal_keeps_presence ON orgs_service;
DROP TRIGGER IF EXISTS location_removal_keeps_presence ON orgs_location;
DROP TRIGGER IF EXISTS org_published_has_presence ON orgs_organisation;
DROP FUNCTION IF EXISTS orgs_published_has_presence();
"""


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_domain")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
