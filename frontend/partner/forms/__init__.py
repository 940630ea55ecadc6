"""Forms of the partner pages, one module per area: they check the shape of
what was typed and turn it into the plain data the services in orgs.services
take. The rules of the domain (checksums, ages, service areas, who may change
what, duplicates, what waits for approval) live in the services and the models;
a form adds only messages that say how to fix an input, where the database's
own message would not (a check constraint's name means nothing to a partner).

- ``common``: the base form and its renderer, countries, languages
- ``organisation``: the organisation, its registry identifiers, a claim
- ``locations``: a place and its opening hours, visibility
- ``services``: a service and where it is available
- ``memberships``: applications to coalitions
- ``editors``: inviting an editor
- ``coordinators``: appointing a coalition's coordinator
"""
