"""Putting a service's ``ValidationError`` back on the form inputs it names.

The services and the models hold the rules; a page shows their messages
beside what the user typed, so a form need not repeat a rule to place its
message well.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form
from django.utils.translation import gettext as _

# A service error names a model field ("locations.0.point"); these fields are
# shown under another input of the form.
FIELD_ALIASES = {"point": "lat", "place": "city", "area_place": "area_town", "area_region": "area_town"}


def messages_of(exc: ValidationError) -> list[str]:
    return [str(msg) for msg in exc.messages]


def _attach(form: Form, field_name: str, msgs: list[str]) -> None:
    name = FIELD_ALIASES.get(field_name, field_name)
    if name.startswith("hours"):
        form.add_error(None, [_("Opening hours: %(message)s") % {"message": msg} for msg in msgs])
    elif name in form.fields:
        form.add_error(name, msgs)
    else:
        form.add_error(None, msgs)


def attach_service_errors(
    exc: ValidationError,
    *,
    main: Form,
    nested: dict[str, list[Form]] | None = None,
    fallback: Form | None = None,
) -> list[str]:
    """Put a service's errors on the inputs they name; what names no input is
    returned to be shown at the top of the page."""
    if not hasattr(exc, "error_dict"):
        return messages_of(exc)
    page: list[str] = []
    nested = nested or {}
    for key, msgs in exc.message_dict.items():
        parts = key.split(".")
        if parts[0] in nested and len(parts) >= 3 and parts[1].isdigit():
            forms_ = nested[parts[0]]
            index = int(parts[1])
            if index < len(forms_):
                _attach(forms_[index], parts[2], msgs)
                continue
            page += msgs
        elif parts[0] in nested:  # about the list as a whole ("locations"): the top of the page
            page += msgs
        elif FIELD_ALIASES.get(key, key) in main.fields:
            main.add_error(FIELD_ALIASES.get(key, key), msgs)
        elif fallback is not None and key != "__all__":
            fallback.add_error(None, msgs)
        else:
            page += msgs
    return page
