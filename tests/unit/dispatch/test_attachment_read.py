"""An attachment is read as it was checked. Between resolve_attachment's checks and the read, the
file could become a link out of the attachments root (it was read: /etc/passwd went to the
customer), a FIFO (the dispatcher waited for ever) or grow (an order system still writing the
PDF: the first part, or more than the size limit, was attached)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailgitops.dispatch.attachments import FileRef, resolve_attachment
from mailgitops.dispatch.compose import attachment_files
from mailgitops.errors import ExitCode, MailgitopsError

PDF = b"%PDF-1.7\n" + b"x" * 1000


@pytest.fixture
def checked(tmp_path: Path) -> FileRef:
    root = tmp_path / "root"
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "final.pdf").write_bytes(PDF)
    ref = resolve_attachment(root, "document", "jobs/final.pdf", "$.attachments.document")
    assert isinstance(ref, FileRef)
    return ref


def refused(ref: FileRef) -> MailgitopsError:
    with pytest.raises(MailgitopsError) as caught:
        attachment_files([ref])
    assert caught.value.exit_code == ExitCode.TEMPORARY  # nothing queued; the event may come again
    assert caught.value.message.startswith("cannot read attachment jobs/final.pdf: it changed while it "
                                           "was being attached (")
    assert caught.value.message.endswith("; nothing was queued")
    return caught.value


def test_a_file_unchanged_since_the_check_is_attached_whole(checked: FileRef) -> None:
    [attached] = attachment_files([checked])
    assert attached.data == PDF


def test_a_file_still_growing_is_not_sent_half_written(checked: FileRef) -> None:
    with checked.real.open("ab") as f:
        f.write(b"y" * 500)
    assert "(it has 1,509 bytes, not 1,009)" in refused(checked).message


def test_a_file_swapped_for_a_link_out_of_the_root_is_not_read(checked: FileRef, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"s" * len(PDF))  # even of the same size
    checked.real.unlink()
    checked.real.symlink_to(secret)
    refused(checked)


def test_a_file_swapped_for_a_fifo_does_not_block(checked: FileRef) -> None:
    checked.real.unlink()
    os.mkfifo(checked.real)
    assert "(it is no longer a regular file)" in refused(checked).message


def test_a_file_removed_since_the_check_is_try_again(checked: FileRef) -> None:
    checked.real.unlink()
    refused(checked)


def test_a_folder_swapped_for_a_link_out_of_the_root_is_not_read(checked: FileRef, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "final.pdf").write_bytes(b"s" * len(PDF))  # the same name and size, elsewhere
    jobs = checked.real.parent
    jobs.rename(tmp_path / "moved")
    jobs.symlink_to(outside)
    refused(checked)
