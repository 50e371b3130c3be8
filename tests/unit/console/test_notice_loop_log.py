"""The drafts-notice loop's log line while the outbox cannot be used: the reason in the operator's
words, once, not the class name of the error ("MailgitopsError: cannot use the outbox ...")."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest

from mailgitops.console.notice import NoticeLoop
from mailgitops.errors import ExitCode, MailgitopsError


class _AwayOutbox:
    def __init__(self) -> None:
        self.calls = 0

    def dispatcher(self) -> Any:
        self.calls += 1
        raise MailgitopsError("cannot use the outbox postgresql://mail@db/outbox: connection refused",
                              hint="check that PostgreSQL runs", exit_code=ExitCode.TEMPORARY)


def test_an_unavailable_outbox_is_named_once_in_plain_words(capsys: pytest.CaptureFixture[str]) -> None:
    service = _AwayOutbox()
    loop = NoticeLoop(cast(Any, service), cast(Any, None), cast(Any, None), every=0.01).start()
    deadline = time.monotonic() + 10
    while service.calls < 5 and time.monotonic() < deadline:  # no event marks a pass of the loop
        time.sleep(0.01)
    loop.stop.set()
    loop.thread.join(5)
    assert service.calls >= 5
    err = capsys.readouterr().err
    assert err == ("mailgitops console: drafts notice not sent: cannot use the outbox "
                   "postgresql://mail@db/outbox: connection refused\n")
