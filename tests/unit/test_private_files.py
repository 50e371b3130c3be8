"""Files that hold customers' data or the print room's secrets are the service user's alone
(0600 / 0700) under the common umask 022, which makes everything else 0644 / 0755."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops import private
from mailgitops.console.accounts import Accounts
from mailgitops.dispatch.draft_shape import Draft
from mailgitops.dispatch.outbox import NewMessage, StoredEvent
from mailgitops.dispatch.outbox_sqlite import SqliteOutbox


@pytest.fixture(autouse=True)
def common_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path | str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _msg() -> NewMessage:
    return NewMessage("customer", "en", "order-received", "<m1@example.com>", "p@example.com",
                      ("ada.lovelace@example.org",), (), b"Dear Ada Lovelace, your order ...",
                      Draft("s", "m", ("p@example.com", None), ((None, "a@example.org"),)), "queued")


def test_a_new_outbox_and_its_wal_and_shm_are_readable_by_the_service_user_only(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    ob = SqliteOutbox(path)
    try:
        ob.record_event(StoredEvent("e1", "h1", "b", [{"row": 0}]), [_msg()])
        for side in ("", "-wal", "-shm"):
            assert mode(f"{path}{side}") == 0o600, side
    finally:
        ob.close()


def test_an_existing_outbox_loses_what_others_could_read_and_keeps_its_group(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite"
    SqliteOutbox(path).close()
    os.chmod(path, 0o664)  # made by an older version, shared with the order system's group
    SqliteOutbox(path).close()
    assert mode(path) == 0o660


def test_the_operators_store_and_its_wal_and_shm_are_0600(tmp_path: Path) -> None:
    path = tmp_path / "operators.sqlite"
    accounts = Accounts(path)
    try:
        accounts.add("ada", "a long enough passphrase")
        for side in ("", "-wal", "-shm"):
            assert mode(f"{path}{side}") == 0o600, side
    finally:
        accounts.close()
    os.chmod(path, 0o644)
    Accounts(path).close()
    assert mode(path) == 0o600


def test_private_folders_and_files(tmp_path: Path) -> None:
    deep = private.make_dir(tmp_path / "a" / "b" / "c")
    for folder in (tmp_path / "a", tmp_path / "a" / "b", deep):
        assert mode(folder) == 0o700, folder
    target = deep / "mail.eml"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    private.write_bytes(target, b"Dear Ada")
    assert (mode(target), target.read_bytes()) == (0o600, b"Dear Ada")
    with pytest.raises(FileExistsError):
        private.open_file(target, exclusive=True)


def test_the_copy_outbox_migrate_keeps_of_an_older_outbox_is_0600(tmp_path: Path) -> None:
    import sqlite3

    from mailgitops.dispatch import outbox_schema
    from support.dispatchrepo import cli, outcome

    path = tmp_path / "outbox.sqlite"
    db = sqlite3.connect(path)
    db.executescript(outbox_schema._V1)  # as the version before schema numbers wrote it
    db.commit()
    db.close()
    os.chmod(path, 0o600)
    got = outcome(cli("outbox", "migrate", "--outbox", str(path)))
    assert got["backup"] == f"{path}.before-migrate-v1"
    assert mode(got["backup"]) == 0o600


def test_sqlites_own_names_make_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    private.sqlite_file(":memory:")
    assert list(tmp_path.iterdir()) == []


def test_the_per_user_cache_folders_are_made_0700_up_from_the_first_missing_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailgitops.render import diskcache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    diskcache._safe_dir.cache_clear()
    try:
        folder = diskcache.user_folder("validate")
    finally:
        diskcache._safe_dir.cache_clear()
    assert folder == tmp_path / "cache" / "mailgitops" / "validate"
    for made in (tmp_path / "cache", tmp_path / "cache" / "mailgitops", folder):
        assert mode(made) == 0o700, made
