"""Every email address in the config, checked on its own (RELIABILITY 13), at its exact position."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from typing import Any

from mailgitops import catalog
from mailgitops.diagnostics import Diagnostic, error
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import PathKey, YamlDoc, json_path

# RFC 5322 atext, plus any non-ASCII letter (SMTPUTF8); quoted local parts are not accepted
_LOCAL = re.compile(r"^[\w!#$%&'*+/=?^`{|}~-]+(\.[\w!#$%&'*+/=?^`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")
_IP_LITERAL = re.compile(r"^\[(IPv6:[0-9A-Fa-f:.]+|[0-9.]+)\]$")
_PARTS = re.compile(r"[^;,]+")
SPLIT_HINT = "one address per entry; several go in a list or are separated by `;`"


def problem(addr: str) -> tuple[str, str] | None:  # noqa: PLR0911, PLR0912 - one rule per fault
    """Why `addr` is not one plain address (message, hint), or None when it is."""
    if any(ord(c) < 32 or ord(c) == 127 for c in addr):
        return "contains a line break or control character", "write the address on one line"
    if "<" in addr or ">" in addr or '"' in addr:
        return ("is written with a display name or angle brackets",
                "write only the address here; the display name belongs in `name:`")
    if ":" in addr and "@" in addr.split(":", 1)[1] and not addr.startswith("["):
        return "uses group syntax (`name: a@x, b@y;`)", SPLIT_HINT
    if ";" in addr or "," in addr:
        return "holds more than one address", SPLIT_HINT
    if any(c.isspace() for c in addr):
        return "contains a space", SPLIT_HINT
    if addr.count("@") != 1:
        if "@" not in addr:
            return "has no `@`", "write the whole address, e.g. printroom@example.com"
        return "has more than one `@`", SPLIT_HINT
    local, domain = addr.split("@")
    if not local:
        return "has nothing before the `@`", "write the whole address, e.g. printroom@example.com"
    if not domain:
        return "has no domain after the `@`", "write the whole address, e.g. printroom@example.com"
    if len(local) > 64 or len(addr) > 254:
        return "is too long (RFC 5321 allows 64 characters before @, 254 in all)", "check the address"
    if not _LOCAL.match(local):
        return f"has an invalid part before the @ (`{local}`)", "check for stray dots or quotes"
    if _IP_LITERAL.match(domain):
        return None
    labels = domain.split(".")
    if len(labels) < 2 and domain.lower() != "localhost":
        return f"domain `{domain}` has no top-level part", f"e.g. {local}@{domain}.com"
    if not all(_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return f"domain `{domain}` is not a valid host name", "check for typos, stray dots or hyphens"
    return None


@cache
def _event_email() -> re.Pattern[str]:
    """The order event's address rule: a sample order is an event, so it must pass it too."""
    return re.compile(catalog.schema("event")["$defs"]["email"]["pattern"])


def event_problem(addr: str) -> tuple[str, str] | None:
    """`problem`, plus what the order event's schema refuses (non-ASCII, a domain without a dot)."""
    found = problem(addr)
    if found is None and not _event_email().match(addr):
        return ("is not an address the order event accepts (ASCII letters and digits, a domain with a dot)",
                "write the address as the order system sends it, e.g. ada@example.org")
    if found is not None and found[1] == SPLIT_HINT:
        return found[0], "an order event holds one address per field; keep one here"
    return found


def _parts(value: str) -> Iterator[tuple[int, str]]:
    for m in _PARTS.finditer(value):
        text = m.group(0)
        stripped = text.strip()
        if stripped:
            yield m.start() + text.index(stripped), stripped


def _located(doc: YamlDoc, path: PathKey, lines: list[str], *, value: str, offset: int,
             part: str) -> tuple[int, int]:
    """The exact column of `part` inside a one-line YAML scalar, else the value's position."""
    pos = doc.pos(path)
    if offset == 0 and part == value.strip():
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
        line, col = _located(doc, path, lines, value=value, offset=0, part=value)
        return [error(doc.file, line, col, "bad-address", f"{what}: empty address",
                      json_path=json_path(path), hint="remove the entry or write an address")]
    out = []
    rule = event_problem if event else problem
    for offset, part in parts:
        found = rule(part)
        if found:
            line, col = _located(doc, path, lines, value=value, offset=offset, part=part)
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
        if file == "config/smtp.yaml":
            out += check_value(doc, ("cc",), data.get("cc"), lines, "cc address", split=True)
        if file == "config/workflow.yaml" and isinstance(data.get("triggers"), dict):
            for tid, trig in data["triggers"].items():
                if isinstance(trig, dict) and "cc" in trig:
                    out += check_value(doc, ("triggers", tid, "cc"), trig["cc"], lines,
                                       f"cc address of `{tid}`", split=True)
        if file.startswith("config/samples/"):
            out += check_sample(doc, lines)
    return out
