"""A reader that stops reading (`mailgitops ... | head`): the command stops quietly, with the exit
status a shell gives a process that SIGPIPE ended, and never says it is a bug in mailgitops."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MAILGITOPS = Path(sys.executable).parent / "mailgitops"
ROOT = Path(__file__).resolve().parents[2]


def test_output_into_a_closed_pipe_is_no_bug() -> None:
    # the reading end closed before the command writes: what `| head` leaves once it has its lines
    # (the export's ~120 KB alone do not always outrun the pipe's buffer, so it is closed first)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([str(MAILGITOPS), "translations", "export", "--root", str(ROOT),
                               "--lang", "it"], stdout=write_end, stderr=subprocess.PIPE, text=True,
                              timeout=60, check=False)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert "bug" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert "BrokenPipe" not in proc.stderr, proc.stderr
