"""The shipped translation catalogues: GNU gettext's own checks, so a plural
entry with too few forms or a format string that does not match its msgid
fails here rather than showing a blank or a crash to a Ukrainian reader.

gettext is a system package the set-up installs (./dev), so the tools are
always there."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"


@pytest.mark.parametrize("language", ["ru", "uk", "en"])
def test_catalogue_passes_msgfmt_check(language: str, tmp_path: Path) -> None:
    po = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgfmt", "--check", "-o", str(tmp_path / "django.mo"), str(po)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    # The header's placeholder fields are warnings only; anything else is an error.
    errors = [line for line in result.stderr.splitlines() if "warning:" not in line]
    assert result.returncode == 0 and not errors, result.stderr


@pytest.mark.parametrize("language", ["ru", "uk"])
@pytest.mark.parametrize("selection", ["--untranslated", "--only-fuzzy"])
def test_catalogue_is_complete(language: str, selection: str) -> None:
    """Every interface text has a translation a reviewer has accepted (no
    empty and no fuzzy entries: Django shows the English msgid for both).
    msgattrib prints nothing, not even the header, when no entry is selected."""
    po = str(LOCALE / language / "LC_MESSAGES" / "django.po")
    selected = subprocess.run(  # noqa: S603 - fixed arguments
        ["msgattrib", selection, "--no-wrap", po],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert not selected.strip(), selected[:2000]
