"""Opening an SMTP session: the EHLO name (this machine's fully qualified one unless configured),
implicit TLS with the certificate pin checked right after the handshake, EHLO with HELO as the
fallback, and one AUTH attempt with one mechanism."""

from __future__ import annotations

import smtplib
import socket
import ssl
from functools import cache

from mailgitops.dispatch.smtp_config import ServerConfig, TransportError
from mailgitops.dispatch.smtp_deadline import read_reply
from mailgitops.dispatch.smtp_trust import check_pin


def wire_name(host: str) -> str | bytes:
    """A host name as the resolver takes it: an ASCII name as bytes, since a str goes through
    the IDNA codec, whose import (encodings.idna, stringprep, unicodedata) costs every cold
    `mailgitops dispatch` ~1.5 ms; an internationalised name still goes through it."""
    return host.encode("ascii") if host.isascii() else host


def fqdn() -> str:
    """socket.getfqdn(), the name asked for with wire_name."""
    name = socket.gethostname()
    try:
        hostname, aliases, _ = socket.gethostbyaddr(wire_name(name))  # type: ignore[arg-type]
    except OSError:
        return name
    return next((a for a in (hostname, *aliases) if "." in a), hostname)


@cache
def default_helo() -> str:
    """This machine's fully qualified name (RFC 5321 4.1.1.1 wants one in EHLO)."""
    return fqdn() or socket.gethostname() or "localhost"


MAX_LINE = 8192  # smtplib's limit on one reply line (smtplib._MAXLINE)


class Session(smtplib.SMTP):
    """smtplib with implicit TLS and the pin check placed right after the handshake."""

    def __init__(self, cfg: ServerConfig, ctx: ssl.SSLContext | None) -> None:
        self.cfg, self.ctx = cfg, ctx
        super().__init__(local_hostname=cfg.helo_name or default_helo(), timeout=cfg.timeout)
        self._host = cfg.host  # smtplib names the server for STARTTLS's host check from this

    def getreply(self) -> tuple[int, bytes]:
        read_reply(self)  # the whole reply within the timeout, not each read
        try:
            return super().getreply()
        except smtplib.SMTPResponseException as e:
            if (e.smtp_code, e.smtp_error) == (500, "Line too long."):
                # smtplib's own words for a line past 8,192 bytes (it has closed the connection):
                # shown as "answered 500 Line too long." they blamed the server for a refusal
                raise smtplib.SMTPServerDisconnected(
                    f"the server sent a reply line longer than {MAX_LINE:,} bytes") from None
            raise

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib's private hook for the socket; typeshed does not declare it
        sock: socket.socket = super()._get_socket(wire_name(host), port, timeout)  # type: ignore[misc]
        if self.cfg.security == "tls" and self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_hostname=host)
            check_pin(sock, self.cfg)
        return sock


def hello(smtp: smtplib.SMTP) -> None:
    """EHLO; a server that does not know it gets HELO; a 4xx (or 421) is a temporary failure."""
    code, msg = smtp.ehlo()
    if code == 250:
        return
    if code >= 500:
        code, msg = smtp.helo()
        if code == 250:
            return
    raise smtplib.SMTPResponseException(code, msg)


# smtplib's mechanisms, strongest first: CRAM-MD5 never shows the password to the server
MECHANISMS = ("CRAM-MD5", "PLAIN", "LOGIN")


def login(smtp: smtplib.SMTP, user: str, password: str) -> str:
    """One AUTH attempt with one mechanism. smtplib's login() tries the next mechanism after a
    refusal, so a wrong password counted as several failed logins (and locked the account)."""
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no AUTH (after STARTTLS, if any)")
    offered = smtp.esmtp_features["auth"].upper().split()
    mechanism = next((m for m in MECHANISMS if m in offered), None)
    if mechanism is None:
        raise TransportError("auth", f"the server offers AUTH {' '.join(offered)}; mailgitops speaks "
                             f"{', '.join(MECHANISMS)}")
    smtp.user, smtp.password = user, password
    smtp.auth(mechanism, getattr(smtp, "auth_" + mechanism.lower().replace("-", "_")))
    return mechanism
