"""The one user-facing exception type and the one map from outcomes to exit codes."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailgitops.diagnostics import Diagnostic


class ExitCode(IntEnum):
    OK = 0
    PROBLEMS = 1  # the input has problems; every one was reported
    USAGE = 2  # the command line itself is wrong
    UNEXPECTED = 3  # a bug in mailgitops: report it
    TEMPORARY = 75  # sysexits EX_TEMPFAIL: nothing was accepted (e.g. the outbox is not writable); retry
    INTERRUPTED = 130


class MailgitopsError(Exception):
    """A problem the user can fix. Carries one or more diagnostics; never shown as a traceback."""

    def __init__(
        self,
        message: str,
        *,
        diagnostics: Sequence[Diagnostic] = (),
        exit_code: ExitCode = ExitCode.PROBLEMS,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
        self.exit_code = exit_code
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class UsageError(MailgitopsError):
    """Wrong command-line usage (exit 2)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, exit_code=ExitCode.USAGE, hint=hint)
