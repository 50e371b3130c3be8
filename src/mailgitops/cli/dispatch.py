"""Commands of the dispatch family (being built)."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    """Adds nothing yet."""
