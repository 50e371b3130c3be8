"""The per-recipient rule: what one attempt's replies mean for a message and its outcome.

A message is `sent` only when every To recipient was accepted: the order system reads `sent` as
"the customer was told". A To refused for good (5xx) makes the message `failed`; a To deferred
(4xx, a dropped connection) is tried again, for that recipient alone. A CC or BCC refused is
named in the outcome and never fails the message: the archive copy is not the customer's email."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

from mailgitops.dispatch.outbox import Recipient
from mailgitops.dispatch.smtp_config import Delivery


class Verdict(NamedTuple):
    status: Literal["sent", "failed", "waiting"]
    pending: tuple[str, ...]  # still to try (only when waiting)
    error: str | None  # what to show: the refused To, the reply that makes it wait, refused copies


def describe(r: Recipient) -> str:
    reply = f"{r['code']} {r['text']}" if r.get("code") is not None else r["text"]
    return f"{r['address']} ({r['kind']}): {reply}"


def apply(recipients: Sequence[Recipient], tried: Sequence[str], result: Delivery) -> list[Recipient]:
    """The recipients with this attempt's results for those it tried; the others keep theirs."""
    tried_set = set(tried)
    out: list[Recipient] = []
    for r in recipients:
        if r["address"] in tried_set:
            got = result.result(r["address"])
            out.append({**r, "result": got.result, "code": got.code, "text": got.text})
        else:
            out.append(r)
    return out


def verdict(recipients: Sequence[Recipient]) -> Verdict:
    to = [r for r in recipients if r["kind"] == "to"]
    refused_to = [r for r in to if r["result"] == "refused"]
    refused_copies = [r for r in recipients if r["kind"] != "to" and r["result"] == "refused"]
    if refused_to:
        return Verdict("failed", (), "; ".join(describe(r) for r in [*refused_to, *refused_copies]))
    waiting = [r for r in recipients if r["result"] == "deferred"]
    if waiting:
        first = describe(waiting[0])
        more = f" (and {len(waiting) - 1} more)" if len(waiting) > 1 else ""
        return Verdict("waiting", tuple(str(r["address"]) for r in waiting), first + more)
    note = "; ".join(describe(r) for r in refused_copies) or None
    if to or any(r["result"] == "accepted" for r in recipients):
        return Verdict("sent", (), note)
    return Verdict("failed", (), note)


def expire(recipients: Sequence[Recipient], why: str) -> list[Recipient]:
    """At the end of the message's lifetime: each still deferred recipient gets `why` as its text."""
    return [{**r, "text": f"{why}: {r['text']}"} if r["result"] == "deferred" else r for r in recipients]
