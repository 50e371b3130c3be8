"""The SMTP transport (S6-S11): explicit TLS mode, verified certificates or a pinned one,
timeouts on every reply, and each outcome classified per recipient.

Python's smtplib verifies nothing unless handed a context from ssl.create_default_context(),
and waits forever unless given a timeout: both are always set here (RELIABILITY 9-12)."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence

from mailgitops.dispatch.smtp_config import Delivery, ErrorKind, ServerConfig, TransportError
from mailgitops.dispatch.smtp_trust import check_pin, is_loopback, peer_fingerprint, tls_context

# what the sender and `smtp check` use; smtp_config and smtp_trust hold the parts
__all__ = ["Connection", "Delivery", "ServerConfig", "TransportError", "classify_open_error"]


def _reply(code: int, msg: bytes | str) -> str:
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg
    return f"{code} {' '.join(text.split())}"


class _SMTP(smtplib.SMTP):
    """smtplib with implicit TLS and the pin check placed right after the handshake."""

    def __init__(self, cfg: ServerConfig, ctx: ssl.SSLContext | None) -> None:
        self.cfg, self.ctx = cfg, ctx
        super().__init__(local_hostname=socket.gethostname() or "localhost", timeout=cfg.timeout)
        self._host = cfg.host  # smtplib names the server for STARTTLS's host check from this

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib's private hook for the socket; typeshed does not declare it
        sock: socket.socket = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        if self.cfg.security == "tls" and self.ctx is not None:
            sock = self.ctx.wrap_socket(sock, server_hostname=host)
            check_pin(sock, self.cfg)
        return sock


def _hello(smtp: smtplib.SMTP) -> None:
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


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
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


class Connection:
    """One SMTP session, ready for mail after open(); reused for many messages."""

    def __init__(self, cfg: ServerConfig, env: Mapping[str, str] | None = None) -> None:
        self.cfg = cfg
        self.env = env
        self.smtp: _SMTP | None = None

    @property
    def alive(self) -> bool:
        return self.smtp is not None and self.smtp.sock is not None

    def open(self) -> None:
        cfg = self.cfg
        password = cfg.password(self.env)
        if password is not None and cfg.security == "none" and not is_loopback(cfg.host):
            raise TransportError("cleartext-auth", f"refusing to send the password to {cfg.host} in "
                                 "cleartext; set server.security to starttls or tls")
        ctx = tls_context(cfg) if cfg.security != "none" else None
        smtp = _SMTP(cfg, ctx)
        try:
            code, msg = smtp.connect(cfg.host, cfg.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, msg)
            _hello(smtp)
            if cfg.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise TransportError("starttls", f"{cfg.host}:{cfg.port} does not offer STARTTLS; "
                                         "security: starttls never falls back to cleartext")
                assert ctx is not None
                smtp.starttls(context=ctx)
                check_pin(smtp.sock, cfg)
                _hello(smtp)
            if password is not None:
                _login(smtp, cfg.username or "", password)
        except BaseException as e:
            smtp.close()
            raise classify_open_error(e, cfg) from e
        self.smtp = smtp

    def close(self) -> None:
        if self.smtp is not None:
            try:
                if self.smtp.sock is not None:
                    self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self.smtp.close()
                self.smtp = None

    def deliver(self, envelope_from: str, rcpts: Sequence[str], raw: bytes) -> Delivery:
        """MAIL, RCPT per recipient, DATA; raises SMTPServerDisconnected before the final dot."""
        smtp = self.smtp
        assert smtp is not None
        options = ["BODY=8BITMIME"] if smtp.has_extn("8bitmime") and not raw.isascii() else []
        code, msg = smtp.mail(envelope_from, options)
        if code != 250:
            return self._refuse_all(rcpts, code, msg)
        accepted: list[str] = []
        temporary: dict[str, str] = {}
        permanent: dict[str, str] = {}
        for r in rcpts:
            code, msg = smtp.rcpt(r)
            if code in (250, 251):
                accepted.append(r)
            else:
                (temporary if code < 500 else permanent)[r] = _reply(code, msg)
                if code == 421:  # the server is closing: the transaction is gone, all wait
                    temporary.update({x: _reply(code, msg) for x in rcpts if x not in permanent})
                    self.close()
                    return Delivery((), temporary, permanent, reply=_reply(code, msg))
        if not accepted:
            self._rset()
            return Delivery((), temporary, permanent, reply=next(iter({**permanent, **temporary}.values())))
        code, msg = smtp.docmd("DATA")
        if code != 354:
            self._rset()
            return self._refuse_part(accepted, code, msg, temporary, permanent)
        return self._data(smtp, raw, accepted, temporary, permanent)

    def _data(self, smtp: _SMTP, raw: bytes, accepted: list[str], temporary: dict[str, str],
              permanent: dict[str, str]) -> Delivery:
        """The body and the final dot, then the reply that decides the recipients' outcome."""
        body = re.sub(rb"(?m)^\.", b"..", raw)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")  # a drop here is before the final dot: safe to retry
        # From here on the server may have the message: anything but a reply is ambiguous (RELIABILITY 4)
        try:
            assert smtp.sock is not None
            smtp.sock.settimeout(self.cfg.data_timeout)
            code, msg = smtp.getreply()
            # smtplib's -1 is a reply it could not read: it may have been a 250
            lost = None if 200 <= code < 600 else f"unreadable reply after the final dot: {_reply(code, msg)}"
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            lost = f"connection lost after the final dot: {e}"
        if lost is not None:
            return self._lost_after_dot(accepted, temporary, permanent, lost)
        if smtp.sock is not None:
            smtp.sock.settimeout(self.cfg.timeout)
        if 200 <= code < 300:
            return Delivery(tuple(accepted), temporary, permanent, reply=_reply(code, msg))
        if code == 421:
            self.close()
        return self._refuse_part(accepted, code, msg, temporary, permanent)

    def _lost_after_dot(self, accepted: Sequence[str], temporary: dict[str, str], permanent: dict[str, str],
                        why: str) -> Delivery:
        """The server may have kept it: retried as ambiguous, with the same Message-ID."""
        self.close()
        return Delivery((), {**temporary, **dict.fromkeys(accepted, why)}, permanent, ambiguous=True,
                        reply=why)

    def _refuse_all(self, rcpts: Sequence[str], code: int, msg: bytes) -> Delivery:
        self._rset()
        return self._refuse_part(list(rcpts), code, msg, {}, {})

    @staticmethod
    def _refuse_part(who: Sequence[str], code: int, msg: bytes, temporary: dict[str, str],
                     permanent: dict[str, str]) -> Delivery:
        target = temporary if code < 500 else permanent
        target.update(dict.fromkeys(who, _reply(code, msg)))
        return Delivery((), temporary, permanent, reply=_reply(code, msg))

    def _rset(self) -> None:
        if self.smtp is None or self.smtp.sock is None:
            return
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()


def classify_open_error(  # noqa: PLR0911 -- one return per failure kind reads as a table
    e: BaseException, cfg: ServerConfig
) -> BaseException:
    """Say plainly what failed while connecting, in the words of `smtp check`."""
    where = f"{cfg.host}:{cfg.port}"
    if isinstance(e, TransportError | KeyboardInterrupt):
        return e
    if isinstance(e, socket.gaierror):
        return TransportError("dns", f"the server name {cfg.host!r} was not found (DNS: {e.strerror})")
    if isinstance(e, ConnectionRefusedError):
        return TransportError("refused", f"{where} refused the connection (is the server running, is "
                              "the port right?)")
    if isinstance(e, TimeoutError) or (isinstance(e, smtplib.SMTPServerDisconnected)
                                       and "timed out" in str(e)):
        return TransportError("timeout", f"no answer from {where} within {cfg.timeout:g} s")
    if isinstance(e, ssl.SSLCertVerificationError):
        seen = peer_fingerprint(cfg)
        return TransportError("cert", f"the certificate of {where} is not trusted: {e.verify_message}; "
                              f"it has SHA-256 fingerprint {seen} (trust it with server.ca_file or "
                              "server.pin_sha256 if it is yours)")
    if isinstance(e, ssl.SSLError):
        return TransportError("tls", f"TLS with {where} failed: {e.reason or e}")
    if isinstance(e, smtplib.SMTPAuthenticationError):
        reply = _reply(e.smtp_code, e.smtp_error)
        return TransportError("auth", f"{where} rejected the user name or password: {reply}")
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return TransportError("auth", f"{where} does not offer authentication: {e}")
    if isinstance(e, smtplib.SMTPConnectError | smtplib.SMTPResponseException):
        code = e.smtp_code
        kind: ErrorKind = "permanent" if code >= 500 else "temporary"
        return TransportError(kind, f"{where} answered {_reply(code, e.smtp_error)}")
    if isinstance(e, smtplib.SMTPServerDisconnected | ConnectionError | OSError):
        return TransportError("dropped", f"{where} dropped the connection: {e}")
    if isinstance(e, smtplib.SMTPException):  # login: "No suitable authentication method found."
        return TransportError("auth", f"{where} cannot authenticate us: {e}")
    if isinstance(e, Exception):
        # Anything else (a password smtplib cannot encode, say) must still pause sending rather
        # than leave claimed rows behind; its text is not shown, as it may quote the password.
        return TransportError("config", f"getting {where} ready for mail failed ({type(e).__name__}); "
                              "check server and auth in config/smtp.yaml and the password's characters")
    return e
