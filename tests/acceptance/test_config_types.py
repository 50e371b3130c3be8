"""Every setting of every shipped config file, replaced by a value of another type (a number
where text or a list is due, `30s` for a number, a list or a mapping for text, and so on), one at
a time: validate reports it, and never stops with "a bug in mailgitops". A new admin met this with
`cc: 42` and `timeout_seconds: 30s`: validate, render and bundle all crashed, with no file or line."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mailgitops.validate import validate_repo
from support.dispatchrepo import ROOT

pytestmark = pytest.mark.slow


def _wrong(value: Any) -> list[Any]:
    """Values of other types than `value`'s, the likely slips first."""
    if isinstance(value, bool):
        return [5, "yes please", [True]]
    if isinstance(value, int | float):
        return ["30s", [30], {"a": 1}]
    if isinstance(value, str):
        return [42, ["x"], {"a": 1}, True]
    if isinstance(value, list):
        return [42, {"a": 1}, True]
    if isinstance(value, dict):
        return [5, "x", [1]]
    return [42, ["x"]]


def _places(node: Any, at: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every place in a YAML document: the document itself, each key's value, a list's first two."""
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _places(value, (*at, key))
    elif isinstance(node, list):
        for i, value in enumerate(node[:2]):
            yield from _places(value, (*at, i))


def _with(doc: Any, at: tuple[Any, ...], value: Any) -> Any:
    if not at:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for key in at[:-1]:
        node = node[key]
    node[at[-1]] = value
    return doc


def test_a_value_of_the_wrong_type_anywhere_is_reported_never_a_crash(tmp_path: Path) -> None:
    for part in ("config", "templates"):
        shutil.copytree(ROOT / part, tmp_path / part)
    crashed: list[str] = []
    tried = 0
    for path in sorted(tmp_path.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        for n, (at, value) in enumerate(_places(doc)):
            choices = _wrong(value)
            wrong = choices[n % len(choices)]  # each kind of slip, in turn, across the places
            path.write_text(yaml.safe_dump(_with(doc, at, wrong), allow_unicode=True), encoding="utf-8")
            tried += 1
            try:
                validate_repo(tmp_path, workers=1)
            except Exception as e:  # what the CLI would print as "a bug in mailgitops"
                crashed.append(f"{path.relative_to(tmp_path)} {'/'.join(map(str, at)) or '(the file)'}"
                               f" = {wrong!r}: {type(e).__name__}: {e}")
        path.write_text(text, encoding="utf-8")
    assert tried > 300  # every shipped file's settings were tried
    assert crashed == []
