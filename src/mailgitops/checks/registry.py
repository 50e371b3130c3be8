"""The list of check families `validate` runs."""

from __future__ import annotations

from collections.abc import Callable

from mailgitops.checks import (
    addresses,
    contrast,
    crossfile,
    example_addresses,
    file_names,
    layout_slots,
    navigation,
    order_url,
    schema_copies,
    secrets,
    smtp,
    styles,
    templates,
    theme,
    timezone,
)
from mailgitops.checks.rendered import lint_rendered
from mailgitops.diagnostics import Diagnostic
from mailgitops.repo import LoadedRepo

CHECKS: list[Callable[[LoadedRepo], list[Diagnostic]]] = [
    crossfile.check,
    file_names.check,
    templates.check,
    styles.check,
    navigation.check,
    smtp.check,
    addresses.check,
    example_addresses.check,
    secrets.check,
    theme.check,
    contrast.check,
    layout_slots.check,
    order_url.check,
    timezone.check,
    schema_copies.check,
    lint_rendered,  # issue 3: render lints (size, alt text, http links, translation drift)
]
