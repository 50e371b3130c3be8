"""Every exception type mailgitops raises, and the one map from outcomes to exit codes.

MailgitopsError is the one type a user sees (the CLI and serve turn it into a message and an
exit code or HTTP status). The others are raised inside one stage and turned into a
MailgitopsError, a Diagnostic or an outbox state by the stage above it; they live here so that
there is one place to look for what can go wrong."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Literal

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
        code: str | None = None,
        values: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics = tuple(diagnostics)
        self.exit_code = exit_code
        self.hint = hint
        # a stable name for this message and the values it names: the console shows it in the
        # operator's language by this key (console/core_text.py), never by matching the English
        self.code = code
        self.values: Mapping[str, object] = dict(values or {})
        # a Python caller's traceback or logging.exception names every problem, not only "refused
        # (3 problems)"; str(e) stays the one line that the CLI and serve print above them
        for d in self.diagnostics:
            at = d.file if d.line == 0 else f"{d.file}:{d.line}:{d.col}"
            self.add_note(f"  {at}: {d.full_message()} [{d.code}]")

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class UsageError(MailgitopsError):
    """Wrong command-line usage (exit 2)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, exit_code=ExitCode.USAGE, hint=hint)


class EventConflict(MailgitopsError):
    """The same event_id arrived again with different content; nothing is queued (HTTP 409)."""


class BacklogFull(MailgitopsError):
    """More is waiting to be sent than the configured cap: nothing accepted, retry later (75, 503)."""


# How an SMTP connection failed; the kinds in PAUSING stop sending until the setting changes.
# "server-refuses": a 5xx before any message (to the connection, EHLO or STARTTLS), which every
# message would meet alike
ErrorKind = Literal["dns", "refused", "timeout", "dropped", "tls", "cert", "starttls", "auth",
                    "cleartext-auth", "temporary", "server-refuses", "config"]
PAUSING: frozenset[str] = frozenset({"tls", "cert", "starttls", "auth", "cleartext-auth", "config",
                                     "server-refuses"})


class TransportError(Exception):
    """The connection could not be made ready for mail; `kind` says which way it failed."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message

    @property
    def pauses(self) -> bool:
        """Auth, TLS and config failures, and a server that refuses before any message, stop
        sending: each message would meet the same, and retrying would only hammer the server."""
        return self.kind in PAUSING


class LayoutError(Exception):
    """A layout's MJML or Jinja could not be compiled; `line` is the layout file's line."""

    def __init__(self, message: str, line: int = 1, hint: str | None = None) -> None:
        super().__init__(message)
        self.line = line
        self.hint = hint


class RenderLimitError(Exception):
    """A template does too much work or makes too much output: the same for every such event."""


class RenderTimeout(RenderLimitError):
    """The machine did not finish rendering in time (busy, swapping): try again later."""


class NotATemplate(ValueError):
    """A translation unit's text has no front matter the units could be cut from."""


class HttpError(Exception):
    """Raised by a handler for an answer other than success; turned into the JSON error shape."""

    def __init__(self, status: int, message: str, *, problems: list[dict[str, Any]] | None = None,
                 hint: str | None = None, headers: Mapping[str, str] | None = None,
                 extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint
        self.problems = problems or []
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
