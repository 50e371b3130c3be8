"""An attachments root that is not there (a share not mounted, a mistyped MAILGITOPS_ATTACHMENTS_ROOT)
is the installation's problem, not the event's: it said "'jobs/...' does not exist under the
attachments root (check the path the order system sends)" with exit 1 / HTTP 422, which sends the
order system's developers after a bug they do not have, and drops the event."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.dispatch.api import Dispatcher
from mailgitops.errors import ExitCode, MailgitopsError
from support.dispatchrepo import build_bundle, cli, make_repo, sample_event, write_event
from support.smtpd import SmtpServer

FILE = "jobs/PO-1001/ticket.pdf"  # in config/samples/files


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    server = SmtpServer().start()
    yield build_bundle(make_repo(tmp_path_factory.mktemp("repo"), port=server.port))
    server.stop()


def test_a_missing_root_is_try_again_later_naming_the_root(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "not-mounted"
    event = sample_event(trigger="order_received", event_id="root-1", operator_attachments=[FILE])
    with Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", attachments_root=root,
                         delivery="production") as d, pytest.raises(MailgitopsError) as caught:
        d.handle(event)
    e = caught.value
    assert e.exit_code == ExitCode.TEMPORARY
    assert e.message == (f"the attachments root {root} is not a folder on this machine; nothing was "
                         "queued, send the event again once it is")
    assert e.hint is not None and "MAILGITOPS_ATTACHMENTS_ROOT" in e.hint
    assert [d.json_path for d in e.diagnostics] == ["$.operator_attachments[0]"]
    root.mkdir()  # mounted now: the same event goes through
    (root / FILE).parent.mkdir(parents=True)
    (root / FILE).write_bytes(b"%PDF-1.4\n%%EOF\n")
    with Dispatcher.load(bundle, outbox=tmp_path / "o.sqlite", attachments_root=root,
                         delivery="production") as d:
        assert d.handle(event).duplicate is False


def test_the_cli_exits_75_and_a_bad_event_is_still_refused(bundle: Path, tmp_path: Path) -> None:
    root = tmp_path / "not-mounted"
    env = {"MAILGITOPS_DELIVERY": "production", "MAILGITOPS_ATTACHMENTS_ROOT": str(root)}
    ok = write_event(tmp_path, sample_event(trigger="order_received", event_id="root-2",
                                            operator_attachments=[FILE]))
    outbox = str(tmp_path / "o.sqlite")
    got = cli("dispatch", "--bundle", str(bundle), "--event", str(ok), "--outbox", outbox, env=env)
    assert got.returncode == 75, got.stderr
    assert f"error: the attachments root {root} is not a folder on this machine" in got.stderr
    # with a problem of its own as well, the event is refused as before (exit 1): it must be fixed
    bad = write_event(tmp_path, sample_event(trigger="order_received", event_id="root-3",
                                             operator_attachments=[FILE, "../x.pdf"]))
    got = cli("dispatch", "--bundle", str(bundle), "--event", str(bad), "--outbox", outbox, env=env)
    assert got.returncode == 1, got.stderr
    assert '$.operator_attachments[1]: "../x.pdf" does not fit' in got.stderr
