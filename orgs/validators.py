"""Checksums of Russian registry identifiers.

ОГРН (13 digits) and ОГРНИП (15 digits): the last digit is the remainder of the
number formed by the other digits divided by 11 (13 for ОГРНИП), taken mod 10.
ИНН (10 digits for organisations, 12 for individuals): weighted sums mod 11 mod 10.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

OGRN_FORMAT = _("ОГРН must be 13 digits (15 for ОГРНИП), digits only.")
OGRN_CHECKSUM = _("This ОГРН has a wrong check digit: please check it against the registry extract.")
INN_FORMAT = _("ИНН must be 10 digits (12 for an individual), digits only.")
INN_CHECKSUM = _("This ИНН has a wrong check digit: please check it against the registry extract.")

_INN10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def ogrn_is_valid(value: str) -> bool:
    if not value.isascii() or not value.isdigit() or len(value) not in (13, 15):
        return False
    divisor = 11 if len(value) == 13 else 13
    return int(value[:-1]) % divisor % 10 == int(value[-1])


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(value: str) -> bool:
    if not value.isascii() or not value.isdigit() or len(value) not in (10, 12):
        return False
    if len(value) == 10:
        return _weighted(value, _INN10) == int(value[9])
    return _weighted(value, _INN11) == int(value[10]) and _weighted(value, _INN12) == int(value[11])


def validate_ogrn(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) not in (13, 15):
        raise ValidationError(OGRN_FORMAT, code="ogrn_format")
    if not ogrn_is_valid(value):
        raise ValidationError(OGRN_CHECKSUM, code="ogrn_checksum")


def validate_inn(value: str) -> None:
    if not value.isascii() or not value.isdigit() or len(value) not in (10, 12):
        raise ValidationError(INN_FORMAT, code="inn_format")
    if not inn_is_valid(value):
        raise ValidationError(INN_CHECKSUM, code="inn_checksum")
