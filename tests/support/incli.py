"""The `mailgitops` command run inside the test process, as a subprocess would see it.

A new Python process per command costs ~0.15 s of CPU in imports before the command does any
work, and the suite runs the command some 500 times. Here the same entry point (`cli/entry.py`:
the dispatcher's click-free fast path, then click) runs with its own argv, environment, working
directory, stdin and captured stdout/stderr, and its exit code is what `sys.exit` was given.

What it cannot stand in for, callers run as a real process (`cli(..., process=True)`): several
commands at once (the process-wide streams and environment are swapped here), a kill, a
command that changes per-process state a later command must not see. Calls from another thread
run as a process automatically. A command still running after `LIMIT` seconds ends the worker
with every thread's stack (faulthandler), as the subprocess's timeout would have failed the test.
"""

from __future__ import annotations

import faulthandler
import io
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

LIMIT = 120.0
_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _stream(data: bytes = b"") -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None)


def _text(stream: io.TextIOWrapper) -> str:
    stream.flush()
    raw = stream.buffer
    assert isinstance(raw, io.BytesIO)
    # what `subprocess.run(text=True)` gives: decoded, universal newlines
    return raw.getvalue().decode("utf-8", errors="replace").replace("\r\n", "\n")


def _code(exit_arg: object, err: io.TextIOWrapper) -> int:
    if exit_arg is None:
        return 0
    if isinstance(exit_arg, int):
        return exit_arg
    err.write(f"{exit_arg}\n")  # sys.exit("message"): Python prints it and exits 1
    return 1


def run_in_process(args: list[str], *, cwd: Path | None, env: Mapping[str, str],
                   stdin: str | None) -> subprocess.CompletedProcess[str]:
    """`mailgitops ARGS` in this process; the same CompletedProcess a subprocess run returns."""
    assert threading.current_thread() is threading.main_thread()
    from mailgitops.cli.entry import main

    env = dict(env)  # a copy first: `env` may be os.environ itself, which is cleared below

    saved_env = dict(os.environ)
    saved_streams = (sys.stdin, sys.stdout, sys.stderr)
    saved_argv, saved_cwd = sys.argv, os.getcwd()
    saved_signals = {s: signal.getsignal(s) for s in _SIGNALS}
    out, err = _stream(), _stream()
    faulthandler.dump_traceback_later(LIMIT, exit=True, file=sys.__stderr__)
    os.environ.clear()
    os.environ.update(env)
    sys.stdin, sys.stdout, sys.stderr = _stream((stdin or "").encode("utf-8")), out, err
    sys.argv = ["mailgitops", *args]
    code = 0
    try:
        if cwd is not None:
            os.chdir(cwd)
        main()
    except SystemExit as e:
        code = _code(e.code, err)
    finally:
        faulthandler.cancel_dump_traceback_later()
        os.chdir(saved_cwd)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        sys.argv = saved_argv
        os.environ.clear()
        os.environ.update(saved_env)
        for s, handler in saved_signals.items():
            signal.signal(s, handler)
    return subprocess.CompletedProcess(["mailgitops", *args], code, _text(out), _text(err))
