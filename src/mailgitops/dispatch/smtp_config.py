"""SMTP settings as the transport needs them, the error kinds, and one delivery's result (S6-S10)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, NamedTuple

from mailgitops.errors import ErrorKind, TransportError
from mailgitops.settings import AuthMode, Security, SmtpSettings

__all__ = ["Delivery", "ErrorKind", "ServerConfig", "TransportError"]  # the transport's types, in one import

DATA_TIMEOUT_SECONDS = 600.0  # RFC 5321 4.5.3.2.6: the server may take 10 minutes after the final dot


class ServerConfig(NamedTuple):  # not a dataclass: ~1 ms less at every cold dispatch
    host: str
    port: int
    security: Security = "none"
    ca_pem: str | None = None  # S9: trust exactly this certificate / CA
    pin_sha256: str | None = None  # S9: or exactly the server certificate with this fingerprint
    timeout: float = 30.0
    data_timeout: float = DATA_TIMEOUT_SECONDS
    auth_mode: AuthMode = "anonymous"
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    helo_name: str | None = None  # None: this machine's fully qualified name
    max_message_bytes: int | None = None  # the configured limit; the server's SIZE applies too

    @classmethod
    def from_settings(cls, smtp: SmtpSettings) -> ServerConfig:
        s, a = smtp.server, smtp.auth
        return cls(host=s.host, port=s.port, security=s.security, ca_pem=s.ca_pem, pin_sha256=s.pin_sha256,
                   timeout=float(s.timeout_seconds), auth_mode=a.mode, username=a.username,
                   password_env=a.password_env, password_file=a.password_file, helo_name=s.helo_name,
                   max_message_bytes=smtp.limits.max_message_bytes)

    def exposed_password_file(self) -> str | None:
        """A warning when auth.password_file can be read by other users of this machine (as
        libpq ignores a ~/.pgpass others can read, but without stopping: the mail must go)."""
        if self.auth_mode != "custom" or not self.password_file:
            return None
        try:
            mode = os.stat(self.password_file).st_mode & 0o777
        except OSError:
            return None  # a missing file is named where the password is read
        if not mode & 0o077:
            return None
        return (f"auth.password_file {self.password_file} can be read by other users of this machine "
                f"(mode {mode:04o}): make it the service user's alone, chmod 600 {self.password_file}")

    def password(self, env: Mapping[str, str] | None = None) -> str | None:
        """S10: from the named environment variable or file, never from the repository."""
        if self.auth_mode != "custom":
            return None
        env = os.environ if env is None else env
        if self.password_env:
            value = env.get(self.password_env)
            if not value:
                raise TransportError("config", f"auth.password_env names {self.password_env}, "
                                     "but that environment variable is not set")
            return value
        if self.password_file:
            try:
                return Path(self.password_file).read_text(encoding="utf-8").strip()
            except OSError as e:
                raise TransportError("config", f"cannot read auth.password_file "
                                     f"{self.password_file}: {e.strerror}") from e
        raise TransportError("config", "auth mode is custom but neither password_env nor password_file "
                             "is set")


RcptResult = Literal["accepted", "refused", "deferred"]


class RecipientResult(NamedTuple):
    """What the server said to one envelope recipient: `code` is None when there was no reply
    (a dropped connection, a timeout)."""

    result: RcptResult
    code: int | None
    text: str


def split_reply(reply: str) -> tuple[int | None, str]:
    """"550 5.1.1 no such user" -> (550, "5.1.1 no such user"); text without a reply code -> (None, text)."""
    head, _, rest = reply.partition(" ")
    if len(head) == 3 and head.isdigit():
        return int(head), rest
    return None, reply


class Delivery(NamedTuple):
    """One message's result per envelope recipient: who took it, who refused it and how, and
    whether it is unknown. The interface between the transport and the outbox: each reply in
    `temporary` and `permanent` is the server's "CODE text" (or plain text when there was no
    reply), and `reply` is the reply that decided the accepted ones (the final dot's 250).
    (A NamedTuple: made per attempt, and ~0.3 ms cheaper than a dataclass at every cold start.)"""

    accepted: tuple[str, ...]
    temporary: Mapping[str, str]  # address -> reply (deferred: retried for this address alone)
    permanent: Mapping[str, str]  # address -> reply (refused for good)
    ambiguous: bool = False  # lost after the final dot: it may have been delivered
    reply: str = ""

    def result(self, address: str) -> RecipientResult:
        """This attempt's result for one recipient; one the server never answered is deferred."""
        if address in self.permanent:
            return RecipientResult("refused", *split_reply(self.permanent[address]))
        if address in self.temporary:
            return RecipientResult("deferred", *split_reply(self.temporary[address]))
        if address in self.accepted:
            code, text = split_reply(self.reply)
            return RecipientResult("accepted", code if code is not None else 250, text)
        return RecipientResult("deferred", None, "no reply for this recipient")
