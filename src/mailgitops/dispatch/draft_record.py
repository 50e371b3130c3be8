"""A draft's change record, kept inside the draft: the original before the first change, then one
history line per change (who, when, what, which fields). Every way a draft is edited keeps it: the
console (the operator's name), `mailgitops drafts edit` and the HTTP API (the order system); a
change made without it reached the customer with no trace, and the "original" taken at the first
console edit already held it (an operator's walk)."""

from __future__ import annotations

import getpass
import time
from collections.abc import Sequence

from mailgitops.dispatch.draft_shape import Draft, DraftState, HistoryLine
from mailgitops.dispatch.drafts import Recorder
from mailgitops.dispatch.outbox import Row
from mailgitops.filenames import clean, distinct

API = "the order system (HTTP API)"  # who, for an edit made through serve's API


def state(draft: Draft, cc: Sequence[str]) -> DraftState:
    """What the operator can change, as the draft holds it now."""
    return DraftState(draft.subject, draft.markdown, tuple(cc), draft.operator_attachments)


def recorder(who: str, what: str) -> Recorder:
    """A hook for drafts.edit: keep the original once, then add one line to the history."""

    def hook(draft: Draft, before: Row, new_cc: list[str]) -> Draft:
        old = before.draft or draft  # drafts.edit calls it only for a row that holds a draft
        if draft.original is None:
            draft = draft._replace(original=state(old, before.cc))
        fields = tuple(name for name, changed in (
            ("subject", old.subject != draft.subject),
            ("body", old.markdown != draft.markdown),
            ("cc", tuple(before.cc) != tuple(new_cc)),
            ("attachments", old.operator_attachments != draft.operator_attachments),
        ) if changed)
        if fields or what != "edited":
            # which files, by the names the customer sees: "attached a file" alone said nothing
            was, now = old.operator_attachments, draft.operator_attachments
            named_was, named_now = _by_path(old), _by_path(draft)
            attached = tuple(named_now[p] for p in now if p not in was)
            removed = tuple(named_was[p] for p in was if p not in now)
            line = HistoryLine(who, time.time(), what, fields, attached, removed)
            draft = draft._replace(history=(*draft.history, line))
        return draft

    return hook


def file_names(draft: Draft) -> list[str]:
    """The draft's files (the event's, then the operators') by the names the email gives them, in
    the order drafts.send attaches them: a second "final.pdf" is "final (2).pdf"."""
    return distinct(clean(p) for p in _paths(draft))


def _paths(draft: Draft) -> list[str]:
    return [*(a.path for a in draft.attachments), *draft.operator_attachments]


def _by_path(draft: Draft) -> dict[str, str]:
    return dict(zip(_paths(draft), file_names(draft), strict=True))


def command_line() -> str:
    """Who, for an edit made with `mailgitops drafts edit`: the account that ran it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "someone"
    return f"{user} (command line)"
