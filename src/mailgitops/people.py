"""Who a status event names for each role: the one home of "who is the customer, the operator,
the approvers?", read by the dispatcher (who gets a message), the Jinja context (what
`approver.*` shows) and the previews, so that a preview cannot differ from what is sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Person = Mapping[str, Any]  # as the event gave it: name, email, language, ...


def approvers(event: Mapping[str, Any]) -> list[Person]:
    """The singular `approver` (when given) first, then each of `approvers`, once per address:
    the event schema allows both, and an approver named in both gets one message."""
    given = [event.get("approver"), *(event.get("approvers") or [])]
    out: list[Person] = []
    seen: set[str] = set()
    for person in given:
        if not isinstance(person, Mapping):
            continue
        email = str(person.get("email", "")).lower()
        if email and email in seen:
            continue
        seen.add(email)
        out.append(person)
    return out


def people(event: Mapping[str, Any], role: str) -> list[Person]:
    """Everyone the event names in `role`; each gets a message of their own."""
    if role == "approver":
        return approvers(event)
    person = event.get(role)
    return [person] if isinstance(person, Mapping) else []


def approver_for(event: Mapping[str, Any], recipient: Person | None) -> Person | None:
    """The approver that `approver.*` describes in one message: the recipient when they are one
    of the approvers, else the first approver (the singular `approver` when the event gives it)."""
    named = approvers(event)
    if recipient is not None:
        for person in named:
            if person.get("email") == recipient.get("email"):
                return recipient
    return named[0] if named else None
