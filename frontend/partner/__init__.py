"""Pages for partners, coalition coordinators and moderators, one module per area.

Thin views: a form (``forms/``) checks what was typed, one service in
orgs.services does the write (and checks the permission, and decides what
waits for approval), and a ``ValidationError`` from the service is put back on
the field it names (``service_errors``), so a failed submission shows every
message beside what the user typed. The services are atomic: a refused
registration leaves nothing behind.

- ``dashboard``: the partner's start page
- ``registration``: registering an organisation
- ``claims``: "this is us" for a listing already in the directory
- ``organisation``: one organisation's page, its edit form, history, confirming it is accurate
- ``locations``, ``services``: its places and its services
- ``editors``: who edits a listing, invitations
- ``memberships``: applying to coalitions, recommending applicants
- ``moderation``: the queue and its decisions
- ``changes``: how a pending change request is shown
- ``shared``: who may open an organisation's pages, the map's settings
- ``urls``: the addresses of all of the above
"""
