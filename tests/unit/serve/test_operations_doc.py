"""docs/operations.md, the on-call page, explains every line `serve` logs that an alerting rule
would match: each fixed phrase below is both in the code that logs it and in that page, so a line
renamed or added without its explanation fails here rather than at 3 a.m."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PAGE = ROOT / "docs" / "operations.md"
# the phrase, and the module that logs it
LOGGED = [
    ("sending paused: ", "serve/loop.py"),
    ("cannot reach the SMTP server: ", "serve/loop.py"),
    ("cannot use the outbox ", "dispatch/outbox_pg.py"),
    ("senders: running", "serve/loop.py"),
    ("left sending by a process on this machine that ended", "serve/loop.py"),
    ("listening on http://", "serve/server.py"),
    ("delivery: ", "cli/serve.py"),
    ("example addresses", "placeholders.py"),
    ("stopping: finishing what is in flight", "serve/server.py"),
    ("still in an SMTP transaction after", "serve/server.py"),
    ("stopped in ", "serve/server.py"),
    ("the open-file limit is too low", "serve/server.py"),
    ("drafts notice not sent: ", "console/notice.py"),
    ("can be read by other users of this machine", "dispatch/smtp_config.py"),
    ("sign-in failed for ", "console/signin.py"),
    ("sign-in refused for ", "console/signin.py"),
    (" signed in from ", "console/signin.py"),
    (" signed out", "console/signin.py"),
]


@pytest.mark.parametrize(("phrase", "module"), LOGGED)
def test_each_logged_phrase_is_explained_on_the_on_call_page(phrase: str, module: str) -> None:
    source = (ROOT / "src" / "mailgitops" / module).read_text(encoding="utf-8")
    assert phrase in source, f"{module} no longer logs {phrase!r}: update docs/operations.md and this list"
    assert phrase in PAGE.read_text(encoding="utf-8"), f"docs/operations.md does not explain {phrase!r}"
