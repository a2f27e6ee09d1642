"""Certificates in an insurer's own layout (not ACORD 25): facts read by their printed labels."""

from __future__ import annotations

from typing import Any

from coibot.extract.words import PageWords


def read_other(pages: list[PageWords]) -> dict[str, Any] | None:
    """A draft extraction (`form: other`) from a letter-style certificate, or None."""
    return None
