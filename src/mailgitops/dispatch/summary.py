"""What `outbox flush` reports and how it exits: what went out, what still waits and until when,
what failed for good, and the ambiguous redeliveries the outbox has counted so far."""

from __future__ import annotations

from collections.abc import Mapping

from mailgitops.dispatch.outbox import Outbox, Row, iso
from mailgitops.dispatch.sending import FlushReport
from mailgitops.errors import ExitCode

WAITING = ("sending", "ambiguous", "queued")
SHOWN = 20  # messages named in the summary; the count covers all


def flush_summary(outbox: Outbox, report: FlushReport) -> tuple[dict[str, object], int]:
    """The JSON summary and the exit code: 1 when a message failed for good in this flush,
    else 75 while anything waits (queued, being retried, paused), else 0."""
    counts = outbox.counts()
    waiting = sum(counts.get(s, 0) for s in WAITING)
    rows = [r for s in WAITING for r in outbox.rows(s, SHOWN)][:SHOWN]
    due = [r.next_attempt_at for s in ("ambiguous", "queued") for r in outbox.rows(s, 1)]
    out: dict[str, object] = {
        **report.to_json(),
        "waiting": waiting,
        "next_attempt_at": iso(min(due)) if due and not report.paused else None,
        "waiting_messages": [_waiting(r) for r in rows],
        "failed_total": counts.get("failed", 0), "expired_total": counts.get("expired", 0),
        "corrupt_total": counts.get("corrupt", 0),
        "ambiguous_redeliveries": counts.get("ambiguous_redeliveries", 0),
    }
    if report.failed or report.expired or report.corrupt:
        return out, int(ExitCode.PROBLEMS)
    if report.paused or waiting:
        return out, int(ExitCode.TEMPORARY)
    return out, int(ExitCode.OK)


def _waiting(r: Row) -> dict[str, object]:
    sending = r.status == "sending"  # its time: when another process may take it over
    return {"id": r.id, "role": r.role, "to": list(r.to), "status": r.status,
            "next_attempt_at": iso(r.lease_until if sending else r.next_attempt_at),
            "reason": held(r) if sending else r.last_error}


def held(r: Row) -> str:
    """Why a message being sent waits, and for what: it said nothing (a null reason and time),
    so a message a killed older version left `sending` looked stuck for its 15-minute lease."""
    if r.lease_host is None:  # versions before 2026-11-30 did not record who sends
        who = "a process that did not record itself (a mailgitops from before 2026-11-30)"
    else:
        who = f"process {r.lease_pid} on {r.lease_host}"
    return (f"being sent by {who}; if that process is gone, it is sent again when its lease ends "
            "(counted ambiguous, same Message-ID)")


def local(iso_text: object, zone: str) -> str:
    """A time of the summary (ISO 8601, UTC) as a person at the print room reads it: in the
    bundle's `timezone`, still ISO 8601 with its offset, and the zone's abbreviation where it has
    one (2026-12-01T05:16:14+01:00 CET). The JSON keeps UTC for programs."""
    text = str(iso_text)
    if zone == "UTC":
        return text
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        moment = datetime.fromisoformat(text).astimezone(ZoneInfo(zone))
    except (ValueError, ZoneInfoNotFoundError):
        return text
    name = moment.tzname() or ""
    return moment.isoformat(timespec="seconds") + (f" {name}" if name[:1].isalpha() else "")


def summary_line(s: Mapping[str, object], zone: str = "UTC") -> str:
    """One line for a person: what went out and, when something waits, what and until when
    (in the print room's `zone`)."""
    parts = [f"sent {s['sent']}, to retry {s['retry']}, failed {s['failed']}, expired {s['expired']}, "
             f"corrupt {s['corrupt']}, recovered from a dead process {s['recovered']}, "
             f"ambiguous redeliveries {s['ambiguous_redeliveries']} in all"]
    if s["paused"]:
        until = (local(s["paused_until"], zone) if s["paused_until"]
                 else "the password changes or `mailgitops outbox resume` is run")
        parts.append(f"sending paused until {until}: {s['paused']}")
    if s["waiting"]:
        when = f", next attempt at {local(s['next_attempt_at'], zone)}" if s["next_attempt_at"] else ""
        listed = s.get("waiting_messages")
        first = listed[0] if isinstance(listed, list) and listed else None
        why = first.get("reason") if isinstance(first, dict) else None  # the JSON lists each one's
        parts.append(f"{s['waiting']} message(s) still wait{when}")
        if why and not s["paused"]:
            parts.append(f"why the first waits (at its last attempt): {why}")
        if not s["paused"]:
            parts.append("`mailgitops outbox flush --now` sends what waits at once (the server is back)")
    return "; ".join(parts)
