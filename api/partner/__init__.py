"""Write API for partners: one module per resource a partner manages.

``organisations`` (register, edit, confirm), ``locations``, ``services``,
``identifiers`` (other registries), ``editors`` (team and invitations),
``history`` (versions, restore), ``claims`` ("this is us") and ``memberships``
(apply to a coalition, recommend); ``common`` holds the base view and the
outputs they share. Moderators' and coordinators' decisions are in
``api.moderation``.

Session-authenticated (CSRF-checked). Input serializers check types and shapes;
the services in orgs.services check permissions and business rules, so the web
forms and this API behave the same. Each endpoint answers with its ``*Output``
serializer, the same one its OpenAPI schema is drawn from.
"""
