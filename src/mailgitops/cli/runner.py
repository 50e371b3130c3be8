"""The one place where a command's result or exception becomes the process's exit code.

Click-free, so that the dispatcher's fast entry (cli/entry.py) can use it too."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, NoReturn

from mailgitops.errors import ExitCode, MailgitopsError


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def run(fn: Callable[..., int], *args: Any, **kwargs: Any) -> NoReturn:
    """Call a plain command function and exit with its code.

    User errors print their message and diagnostics; bugs print one line asking for a report
    (the traceback only with MAILGITOPS_DEBUG=1). Never a traceback for bad input."""
    try:
        code = fn(*args, **kwargs)
    except MailgitopsError as e:
        _err(f"error: {e}")
        for d in e.diagnostics:
            at = d.file if d.line == 0 else f"{d.file}:{d.line}:{d.col}"  # a whole-file problem has no line
            _err(f"  {at}: {d.full_message()} [{d.code}]")
        code = int(e.exit_code)
    except KeyboardInterrupt:
        _err("interrupted")
        code = int(ExitCode.INTERRUPTED)
    except BrokenPipeError:
        # whoever read the output stopped reading (`| head`): stop quietly, as other tools do;
        # it was reported as "a bug in mailgitops". What the command did (a message sent) stands
        _quiet_stdout()
        code = BROKEN_PIPE
    except Exception as e:
        if _disk_full(e):
            # a full disk under the outbox (SQLite ends what it could not finish, nothing half
            # written stays): the order system must send the event again later, not drop it
            _err(f"error: the disk is full: {e}\n"
                 "  hint: free space on the disk that holds the outbox (and its -wal file beside it) "
                 "and run the command again")
            code = int(ExitCode.TEMPORARY)
        else:
            if os.environ.get("MAILGITOPS_DEBUG"):
                import traceback  # only here: the dispatcher's cold start does not pay for it

                traceback.print_exc()
            _err(f"unexpected error: {type(e).__name__}: {e}\n"
                 "This is a bug in mailgitops; rerun with MAILGITOPS_DEBUG=1 for details.")
            code = int(ExitCode.UNEXPECTED)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        code = code or BROKEN_PIPE
    sys.exit(code)


def _disk_full(e: BaseException) -> bool:
    """SQLite's "database or disk is full" (its code 13; sqlite3 is not imported for this), or
    the operating system's "No space left on device"."""
    import errno

    return getattr(e, "sqlite_errorcode", None) == 13 or (isinstance(e, OSError) and e.errno == errno.ENOSPC)


BROKEN_PIPE = 128 + 13  # the exit status of a process ended by SIGPIPE, as a shell shows it


def _quiet_stdout() -> None:
    """Point standard output at /dev/null, so that Python's own flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
