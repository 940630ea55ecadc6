"""The admin: how staff and coalition coordinators maintain the directory.

One module per area; importing them registers their admins. Maps use
``orgs.widgets.LocalMapWidget`` (OpenLayers served by this site). Foreign keys
to large tables (places, organisations, locations) are autocompletes, never a
``<select>`` of every row. Models that keep history use simple_history's admin
(a "History" button with revert).
"""

from orgs.admin import coalitions, directory, hsds, outbox, press, taxonomy
from orgs.admin.common import PRESENCE_ERROR
from orgs.admin.forms import CATEGORY_CYCLE_ERROR

__all__ = ["CATEGORY_CYCLE_ERROR", "PRESENCE_ERROR", "coalitions", "directory", "hsds", "outbox", "press", "taxonomy"]
