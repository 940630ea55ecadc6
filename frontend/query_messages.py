"""The one search box's messages for locator-query.js (the config's
``queryMessages``), apart from locator.js's own so that the two can change
independently."""

from __future__ import annotations

from django.utils.translation import gettext as _


def query_messages() -> dict[str, str]:
    return {
        "understood": _("Understood:"),
        "remove": _("Remove “{what}” from the search"),
        "freeOnly": _("Free only"),
        "didYouMean": _("Did you mean"),
        "chooseTown": _("Which town did you mean? Choose one above, or type the name again."),
        "needTown": _(
            "In which town? Type a town with your search (for example, “lawyer Uglich”) or use your location."
        ),
        "notUnderstood": _("We did not understand “{q}”: it is neither a town we know nor a kind of help."),
        "tryExample": _("Type a town and, if you like, what help you need: for example, “psychologist Pskov”."),
        "hotlines": _("You can call these free lines now:"),
    }
