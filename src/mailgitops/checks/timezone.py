"""config/workflow.yaml `timezone`: a zone this machine's time zone database knows."""

from __future__ import annotations

from mailgitops.diagnostics import Diagnostic
from mailgitops.repo import LoadedRepo

WORKFLOW = "config/workflow.yaml"


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    doc = loaded.docs.get(WORKFLOW)
    name = doc.data.get("timezone") if doc is not None and isinstance(doc.data, dict) else None
    if doc is None or not isinstance(name, str) or name == "UTC":
        return []
    if any(d.file == WORKFLOW and d.json_path == "$.timezone" for d in loaded.diagnostics):
        return []  # the schema's error (not Area/City) already says it, once
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return []
    except (ZoneInfoNotFoundError, ValueError):
        from mailgitops.suggest import did_you_mean

        close = did_you_mean(name, sorted(available_timezones()))
        return [doc.at(("timezone",), "unknown-timezone", f"`{name}` is not a known time zone",
                       hint=close or "an IANA name such as Europe/Berlin, America/New_York or UTC")]
