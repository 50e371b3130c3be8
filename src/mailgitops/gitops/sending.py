"""When an email is sent, in the words a reviewer reads in the pull-request comment.

A preview shows what an email says, not whether it goes out: switching a trigger off
(`send: never`), sending it to other roles or only on request changes no rendered byte. The
render output records, for each template, which triggers send it to whom, so that `diff` can
show such a change as a change of that email ("no trigger sends it" for one no longer sent)."""

from __future__ import annotations

from mailgitops.model import Repo, Trigger

NOT_SENT = "no trigger sends it"


def _qualifiers(trigger: Trigger, role: str) -> list[str]:
    said = []
    if trigger.send == "on_customer_request" and role == "customer":
        said.append("only to customers who asked")
    # an operator's own copy is never held as a draft (see dispatch)
    if trigger.edit_before_send and role != "operator":
        said.append("held for an operator's review first")
    return said


def sent_by(repo: Repo, template_id: str) -> tuple[str, ...]:
    """One line per trigger that sends `template_id`, e.g. `order_accepted to customer (only
    to customers who asked)`, sorted; empty when no trigger sends it (or each is `send: never`)."""
    lines = []
    for tid, trigger in repo.workflow.triggers.items():
        if trigger.send == "never":
            continue
        roles = [role for role in trigger.to if trigger.template_for(role) == template_id]
        if not roles:
            continue
        said = sorted({q for role in roles for q in _qualifiers(trigger, role)})
        lines.append(f"{tid} to {', '.join(roles)}" + (f" ({'; '.join(said)})" if said else ""))
    return tuple(sorted(lines))


def describe(lines: tuple[str, ...]) -> str:
    """The manifest's lines as one value for the comment."""
    return " · ".join(lines) if lines else NOT_SENT
