"""The names files and folders are addressed by. A webshop file whose name no event can give
(`config/webshops/my shop.yaml`: an event's `webshop` is letters, digits, - and _) and a template
folder no trigger can name (`templates/Order Accepted/`) never apply, and validate said nothing:
the webshop's sender and look were silently not used. A name Windows reserves (`con`, `nul`,
`aux`, `com1` ...) stops the repository from being checked out on an admin's Windows machine,
and so do two webshop files whose names differ only in case."""

from __future__ import annotations

import re

from mailgitops.diagnostics import Diagnostic, error
from mailgitops.repo import LoadedRepo

WEBSHOP_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # the event's `webshop` (event.schema.json)
TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")  # a trigger's `template` (workflow.schema.json)
WINDOWS_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])", re.IGNORECASE)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "shop"


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for name in loaded.repo.webshops:
        file = f"config/webshops/{name}.yaml"
        if not WEBSHOP_ID.fullmatch(name):
            out.append(error(file, 1, 1, "bad-file-name",
                             f"an event cannot name the webshop `{name}` (a webshop id is letters, digits, "
                             "- and _), so this file never applies",
                             hint=f"rename it to config/webshops/{_slug(name)}.yaml and send that id"))
        elif WINDOWS_RESERVED.fullmatch(name):
            out.append(_reserved(file, name, f"config/webshops/{name}-shop.yaml"))
        elif name.lower() in seen:
            out.append(error(file, 1, 1, "bad-file-name",
                             f"`{name}.yaml` and `{seen[name.lower()]}.yaml` differ only in case: on Windows "
                             "and macOS they are one file, and one of them is lost on checkout",
                             hint="merge them into one file, or give one another name"))
        seen.setdefault(name.lower(), name)
    for tid in loaded.repo.templates:
        folder = f"templates/{tid}/template.yaml"
        if not TEMPLATE_ID.fullmatch(tid):
            out.append(error(folder, 1, 1, "bad-file-name",
                             f"no trigger can name the template folder `{tid}` (lower case letters, digits "
                             "and hyphens), so it is never sent",
                             hint=f"rename the folder templates/{tid}/ to templates/{_slug(tid)}/"))
        elif WINDOWS_RESERVED.fullmatch(tid):
            out.append(_reserved(folder, tid, f"templates/{tid}-email/"))
    return out


def _reserved(path: str, name: str, instead: str) -> Diagnostic:
    return error(path, 1, 1, "bad-file-name",
                 f"`{name}` is a name Windows reserves for a device: the repository cannot be checked "
                 "out on Windows", hint=f"rename it, e.g. to {instead}")
