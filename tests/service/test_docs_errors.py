"""docs/api.md's error table names every error code the API can send, and only those."""

from __future__ import annotations

import re
from pathlib import Path

import retouch
from retouch.api.errors import HTTP_CODES

PACKAGE = Path(retouch.__file__).parent
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
#: Codes that never reach an HTTP client (the command line's start-up errors).
NOT_HTTP = {"startup_error"}


def codes_in_source() -> set[str]:
    """Every literal error code in the package, less the web UI's own (docs/web.md)."""
    found = set(HTTP_CODES.values())
    for path in PACKAGE.rglob("*.py"):
        if "web" in path.relative_to(PACKAGE).parts:
            continue
        text = path.read_text()
        found |= set(re.findall(r'\bcode\s*=\s*"([a-z_]+)"', text))
        found |= set(re.findall(r'"code":\s*"([a-z_]+)"', text))
    return found - NOT_HTTP


def errors_section() -> str:
    text = DOCS.read_text()
    return text[text.index("## Errors") : text.index("## Jobs")]


def test_every_error_code_is_documented() -> None:
    documented = set(re.findall(r"`([a-z_]+)`", errors_section()))
    missing = codes_in_source() - documented
    assert not missing, f"error codes missing from docs/api.md#errors: {sorted(missing)}"


def test_the_error_table_names_only_real_codes() -> None:
    rows = re.findall(r"^\| [0-9/]+ \| `([a-z_]+)` \|", errors_section(), re.M)
    assert len(rows) >= 40
    stale = set(rows) - codes_in_source()
    assert not stale, f"docs/api.md#errors lists codes the API never sends: {sorted(stale)}"
