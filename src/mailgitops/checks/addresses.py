"""Every email address in the config, checked on its own by the one rule (addresses.py), at its
exact position."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from mailgitops.addresses import SPLIT_HINT, problem
from mailgitops.diagnostics import Diagnostic, error, json_path
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import PathKey, YamlDoc

_PARTS = re.compile(r"[^;,]+")


def event_problem(addr: str) -> tuple[str, str] | None:
    """`problem`, with the hint an order event's field needs (it holds one address, never a list)."""
    found = problem(addr)
    if found is not None and found[1] == SPLIT_HINT:
        return found[0], "an order event holds one address per field; keep one here"
    return found


def _parts(value: str) -> Iterator[tuple[int, str]]:
    for m in _PARTS.finditer(value):
        text = m.group(0)
        stripped = text.strip()
        if stripped:
            yield m.start() + text.index(stripped), stripped


def located(doc: YamlDoc, path: PathKey, lines: list[str], part: str, *,
            whole: bool = False) -> tuple[int, int]:
    """The exact column of `part` inside a one-line YAML scalar (`whole`: it is the value itself),
    else the value's position."""
    pos = doc.pos(path)
    if whole:
        return pos.line, pos.col
    if 0 < pos.line <= len(lines):
        col = lines[pos.line - 1].find(part, pos.col - 1)
        if col >= 0:
            return pos.line, col + 1
    return pos.line, pos.col


def check_value(doc: YamlDoc, path: PathKey, value: Any, lines: list[str], what: str,
                *, split: bool, event: bool = False) -> list[Diagnostic]:
    """`value` is one address, or (split=True) a `;`-separated string or list of them;
    event=True also applies the order event's rule (for sample orders)."""
    if split and isinstance(value, list):
        out: list[Diagnostic] = []
        for i, item in enumerate(value):
            out.extend(check_value(doc, (*path, i), item, lines, what, split=True, event=event))
        return out
    if not isinstance(value, str):
        return []
    parts = list(_parts(value)) if split else [(0, value)]
    if not parts:
        line, col = located(doc, path, lines, value, whole=True)
        return [error(doc.file, line, col, "bad-address", f"{what}: empty address",
                      json_path=json_path(path), hint="remove the entry or write an address")]
    out = []
    rule = event_problem if event else problem
    for offset, part in parts:
        found = rule(part)
        if found:
            line, col = located(doc, path, lines, part, whole=offset == 0 and part == value.strip())
            out.append(error(doc.file, line, col, "bad-address", f"{what} `{part}` {found[0]}",
                             json_path=json_path(path), hint=found[1]))
    return out


def check_sample(doc: YamlDoc, lines: list[str]) -> list[Diagnostic]:
    """A sample order's people and operator_cc: each field holds exactly one address (an event
    carries no `a@x; b@y` lists), so a second address in one field is an error, not split."""
    data = doc.data if isinstance(doc.data, dict) else {}
    out: list[Diagnostic] = []
    fields: list[tuple[PathKey, Any, str]] = []
    for role in ("customer", "operator", "approver"):
        person = data.get(role)
        if isinstance(person, dict) and "email" in person:
            fields.append(((role, "email"), person["email"], f"{role} email"))
    for key, what in (("approvers", "approver email"), ("operator_cc", "operator_cc address")):
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            value = item.get("email") if isinstance(item, dict) and key == "approvers" else item
            path: PathKey = (key, i, "email") if key == "approvers" else (key, i)
            if value is not None or key == "operator_cc":
                fields.append((path, value, what))
    for path, value, what in fields:
        for d in check_value(doc, path, value, lines, what, split=False, event=True):
            # operator_cc entries have no `name:` beside them to move a display name to
            bare = path[0] == "operator_cc" and "`name:`" in (d.hint or "")
            out.append(replace(d, hint="write only the address, e.g. boss@example.com") if bare else d)
    return out


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for file, doc in loaded.docs.items():
        data = doc.data if isinstance(doc.data, dict) else {}
        lines = loaded.sources.get(file, "").split("\n")
        if file == "config/smtp.yaml" or file.startswith("config/webshops/"):
            sender = data.get("sender")
            if isinstance(sender, dict):
                out += check_value(doc, ("sender", "address"), sender.get("address"), lines,
                                   "sender address", split=False)
        if file == "config/smtp.yaml" or file.startswith("config/webshops/"):
            out += check_value(doc, ("cc",), data.get("cc"), lines, "cc address", split=True)
            out += check_value(doc, ("bcc",), data.get("bcc"), lines, "bcc address", split=True)
        if (file == "config/smtp.yaml" or file.startswith("config/webshops/")) and "reply_to" in data:
            out += check_value(doc, ("reply_to",), data.get("reply_to"), lines, "reply_to address",
                               split=False)
        if file == "config/workflow.yaml" and isinstance(data.get("triggers"), dict):
            for tid, trig in data["triggers"].items():
                for key in ("cc", "bcc"):
                    if isinstance(trig, dict) and key in trig:
                        out += check_value(doc, ("triggers", tid, key), trig[key], lines,
                                           f"{key} address of `{tid}`", split=True)
        if file.startswith("config/samples/"):
            out += check_sample(doc, lines)
    return out
