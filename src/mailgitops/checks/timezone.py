"""config/workflow.yaml `timezone`: a zone this machine's time zone database knows; and
`date_formats`: patterns the `date` and `datetime` filters can print, by the same rules as a
pattern written in a template (`DD.MM.YYYY` is refused with the pattern meant)."""

from __future__ import annotations

from mailgitops.checks.date_patterns import confusable
from mailgitops.checks.language_keys import not_active
from mailgitops.diagnostics import Diagnostic
from mailgitops.render.formats import FORMAT_HINT, format_problem
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import YamlDoc

WORKFLOW = "config/workflow.yaml"


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    doc = loaded.docs.get(WORKFLOW)
    if doc is None:
        return []
    return (_zone(loaded) + _date_formats(doc)
            + not_active(doc, ("date_formats",), loaded.repo.languages.active, "date format"))


def _date_formats(doc: YamlDoc) -> list[Diagnostic]:
    given = doc.data.get("date_formats") if isinstance(doc.data, dict) else None
    out: list[Diagnostic] = []
    for lang, value in (given.items() if isinstance(given, dict) else ()):
        kinds = [("date", (lang,), value)] if isinstance(value, str) else [
            (kind, (lang, kind), value[kind]) for kind in ("date", "datetime")
            if isinstance(value, dict) and isinstance(value.get(kind), str)]
        for kind, at, fmt in kinds:
            problem = format_problem(kind, fmt) or confusable(kind, fmt)
            if problem:
                out.append(doc.at(("date_formats", *at), "date-format",
                                  f"the {lang} {kind} format `{fmt}`: {problem}", hint=FORMAT_HINT))
    return out


def _zone(loaded: LoadedRepo) -> list[Diagnostic]:
    doc = loaded.docs.get(WORKFLOW)
    name = doc.data.get("timezone") if doc is not None and isinstance(doc.data, dict) else None
    if doc is None or not isinstance(name, str) or name == "UTC":
        return []
    if any(d.file == WORKFLOW and d.json_path == "$.timezone" for d in loaded.diagnostics):
        return []  # the schema's error (not Area/City) already says it, once
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(name)
        return _fixed_offset(doc, name)
    except (ZoneInfoNotFoundError, ValueError):
        from mailgitops.suggest import did_you_mean

        close = did_you_mean(name, sorted(available_timezones()))
        return [doc.at(("timezone",), "unknown-timezone", f"`{name}` is not a known time zone",
                       hint=close or "an IANA name such as Europe/Berlin, America/New_York or UTC")]


def _fixed_offset(doc: YamlDoc, name: str) -> list[Diagnostic]:
    """`Etc/GMT+1` is a real zone, one hour BEHIND UTC (POSIX's sign is the reverse of ISO's), and
    no Etc zone follows summer time: a print room meaning Berlin is an hour off, half the year or
    always. Said, not refused: a print room may truly keep one offset all year."""
    if not name.startswith("Etc/GMT") or name in ("Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0"):
        return []
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    offset = datetime.now(UTC).astimezone(ZoneInfo(name)).strftime("%z")
    shown = f"UTC{offset[0]}{offset[1:3]}:{offset[3:]}"
    from mailgitops.diagnostics import warning

    pos = doc.pos(("timezone",))
    return [warning(doc.file, pos.line, pos.col, "fixed-offset-timezone",
                    f"`{name}` is {shown} all year (in Etc names + means behind UTC, - ahead) and "
                    "never changes for summer time",
                    json_path="$.timezone",
                    hint="name the print room's place instead (Europe/Berlin follows its summer time)")]
