"""The example addresses a new repository ships with (placeholders.py), still in the settings: a
warning at each one's line, so that the admin sees them in the pull request and not first when
`smtp check` or `serve` names them. A warning: a repository on its way to going live validates."""

from __future__ import annotations

from mailgitops import placeholders
from mailgitops.addresses import problem
from mailgitops.checks.addresses import located
from mailgitops.diagnostics import Diagnostic, json_path, warning
from mailgitops.repo import LoadedRepo


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for place in placeholders.in_files({f: d.data for f, d in loaded.docs.items()}):
        if problem(place.address) is not None:
            continue  # `a@printroom.test`: already an error at this place (addresses.py)
        doc = loaded.docs[place.file]
        lines = loaded.sources.get(place.file, "").split("\n")
        line, col = located(doc, place.path, lines, place.address)
        out.append(warning(place.file, line, col, "example-address", placeholders.message(place.address),
                           json_path=json_path(place.path), hint=placeholders.FIX))
    return out
