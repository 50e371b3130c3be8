"""The SMTP transport (S6-S11): explicit TLS mode, verified certificates or a pinned one,
timeouts on every reply, and each outcome classified per recipient.

Python's smtplib verifies nothing unless handed a context from ssl.create_default_context(),
and waits forever unless given a timeout: both are always set here (RELIABILITY 9-12)."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence

from mailgitops.dispatch.smtp_config import Delivery, ServerConfig, TransportError
from mailgitops.dispatch.smtp_downgrade import downgrade
from mailgitops.dispatch.smtp_errors import classify_open_error
from mailgitops.dispatch.smtp_session import Session, default_helo, hello, login
from mailgitops.dispatch.smtp_trust import check_pin, is_loopback, tls_context
from mailgitops.dispatch.smtp_wire import encode_address, envelope_commands, reply_text

# what the sender and `smtp check` use; smtp_config, smtp_trust, smtp_wire and smtp_errors hold the parts
__all__ = ["Connection", "Delivery", "ServerConfig", "TransportError", "classify_open_error",
           "encode_address", "reply_text"]
_reply = reply_text


def _odd(command: str, code: int, msg: bytes, expected: int) -> str:
    """The reason a recipient waits: the server's refusal as it said it, or, for a reply that is
    neither the expected one nor a refusal ('250 ok' to DATA), what it was answering."""
    if code >= 400 or code == expected:
        return _reply(code, msg)
    return f"answered '{_reply(code, msg)}' to {command} instead of {expected}; nothing was sent yet"


class Connection:
    """One SMTP session, ready for mail after open(); reused for many messages."""

    def __init__(self, cfg: ServerConfig, env: Mapping[str, str] | None = None) -> None:
        self.cfg = cfg
        self.env = env
        self.smtp: Session | None = None
        self.stage = "connect"  # the step open() is at: what `smtp check` names when it fails
        self.mechanism: str | None = None  # the AUTH mechanism used

    @property
    def alive(self) -> bool:
        return self.smtp is not None and self.smtp.sock is not None

    @property
    def helo_name(self) -> str:
        return self.cfg.helo_name or default_helo()

    @property
    def size_limit(self) -> int | None:
        """The largest message the server takes (SIZE in its EHLO reply; RFC 1870), if it says."""
        value = (self.smtp.esmtp_features.get("size", "") if self.smtp is not None else "").strip()
        # ASCII digits (RFC 1870); `SIZE ²` or 5,000 digits made int() raise on every message, which
        # then waited until it expired: a size no server can mean is taken as none given
        if not (value.isascii() and value.isdigit()) or len(value) > 20:
            return None
        return int(value) or None

    def open(self) -> None:
        cfg = self.cfg
        password = cfg.password(self.env)
        if password is not None and cfg.security == "none" and not is_loopback(cfg.host):
            raise TransportError("cleartext-auth", f"refusing to send the password to {cfg.host} in "
                                 "cleartext; set server.security to starttls or tls")
        ctx = tls_context(cfg) if cfg.security != "none" else None
        smtp = Session(cfg, ctx)
        try:
            self.stage = "connect"
            code, msg = smtp.connect(cfg.host, cfg.port)
            if code != 220:
                raise smtplib.SMTPConnectError(code, msg)
            self.stage = "EHLO"
            hello(smtp)
            if cfg.security == "starttls":
                self.stage = "STARTTLS"
                if not smtp.has_extn("starttls"):
                    raise TransportError("starttls", f"{cfg.host}:{cfg.port} does not offer STARTTLS; "
                                         "security: starttls never falls back to cleartext")
                assert ctx is not None
                smtp.starttls(context=ctx)
                check_pin(smtp.sock, cfg)
                hello(smtp)
            if password is not None:
                self.stage = "AUTH"
                self.mechanism = login(smtp, cfg.username or "", password)
        except BaseException as e:
            smtp.close()
            raise classify_open_error(e, cfg, self.stage, smtp.local_hostname) from e
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
        """MAIL, RCPT per recipient, DATA; raises SMTPServerDisconnected before the final dot.
        Results are keyed by the addresses as given, whatever form went on the wire."""
        smtp = self.smtp
        assert smtp is not None
        utf8 = smtp.has_extn("smtputf8")
        if not utf8:  # UTF-8 headers (RFC 6532) only go to a server that offers SMTPUTF8
            raw = downgrade(raw)
        wire_from, why = encode_address(envelope_from, utf8, self.cfg.host)
        why = self._too_big(len(raw)) or why
        if why is not None:
            return Delivery((), {}, dict.fromkeys(rcpts, why), reply=why)
        wire: dict[str, str] = {}
        unsendable: dict[str, str] = {}
        for r in rcpts:
            w, problem = encode_address(r, utf8, self.cfg.host)
            if problem is None:
                wire[r] = w
            else:
                unsendable[r] = problem
        if not wire:  # every recipient needs SMTPUTF8; the others got the downgraded message
            return Delivery((), {}, unsendable, reply=next(iter(unsendable.values())))
        options = [f"SIZE={len(raw)}"] if smtp.has_extn("size") else []
        if smtp.has_extn("8bitmime") and not raw.isascii():
            options.append("BODY=8BITMIME")
        if utf8 and not (wire_from + "".join(wire.values())).isascii():
            options.append("SMTPUTF8")
        try:
            return self._transaction(smtp, (wire_from, options), wire, raw, unsendable)
        finally:
            smtp.command_encoding = "ascii"  # smtplib switches to UTF-8 for an SMTPUTF8 transaction

    def _too_big(self, size: int) -> str | None:
        """Refused at once, before MAIL FROM: not after uploading it all for a 552."""
        server, configured = self.size_limit, self.cfg.max_message_bytes
        if server is not None and size > server:
            return (f"the message is {size:,} bytes, more than the {server:,} bytes {self.cfg.host} "
                    "accepts (SIZE in its EHLO reply); nothing was sent")
        if configured is not None and size > configured:
            return (f"the message is {size:,} bytes, more than the {configured:,} bytes allowed by "
                    "limits.max_message_bytes in config/smtp.yaml; nothing was sent")
        return None

    def _transaction(self, smtp: Session, mail: tuple[str, list[str]], wire: Mapping[str, str], raw: bytes,
                     permanent: dict[str, str]) -> Delivery:
        """MAIL, RCPT per recipient, DATA: one round trip for all of them when the server offers
        PIPELINING (its replies read in order), else one each. Either way each recipient's own
        reply decides its result; a 421 ends the session and leaves every recipient waiting."""
        rcpts, (wire_from, options) = list(wire), mail
        pipelined = smtp.has_extn("pipelining")
        if pipelined:
            smtp.send(envelope_commands(wire_from, options, [wire[r] for r in rcpts]))
        # RFC 5321 4.2.1: the first digit says good (2), go on (3) or not: a 2xx other than the
        # usual 250 (251 and 252 are seen) accepts, rather than leaving the message to wait
        code, msg = smtp.getreply() if pipelined else smtp.mail(wire_from, options)
        if code // 100 != 2:
            self._abandon(pipelined, code, owed=len(rcpts) + 1)  # each RCPT and DATA refused, no MAIL
            return self._refuse_part(rcpts, code, msg, {}, permanent, text=_odd("MAIL FROM", code, msg, 250))
        accepted: list[str] = []
        temporary: dict[str, str] = {}
        for r in rcpts:
            code, msg = smtp.getreply() if pipelined else smtp.rcpt(wire[r])
            if code // 100 == 2:
                accepted.append(r)
                continue
            (temporary if code < 500 else permanent)[r] = _odd("RCPT TO", code, msg, 250)
            if code == 421:  # the server is closing: the transaction is gone, all wait
                temporary.update({x: _reply(code, msg) for x in rcpts if x not in permanent})
                self._abandon(pipelined, code)
                return Delivery((), temporary, permanent, reply=_reply(code, msg))
        if pipelined or accepted:
            code, msg = smtp.getreply() if pipelined else smtp.docmd("DATA")
        if not accepted:
            self._abandon(pipelined, code)  # a DATA opened with no recipient is dropped
            return Delivery((), temporary, permanent, reply=next(iter({**permanent, **temporary}.values())))
        if code // 100 != 3:
            self._abandon(pipelined, code)
            return self._refuse_part(accepted, code, msg, temporary, permanent,
                                     text=_odd("DATA", code, msg, 354))
        return self._data(smtp, raw, accepted, temporary, permanent)

    def _abandon(self, pipelined: bool, code: int, owed: int = 0) -> None:
        """End a transaction that will not reach its body: read the `owed` replies to pipelined
        commands, then RSET. A 421 (closing) ends the session; so does a DATA that opened anyway
        (354, or any 3xx), without QUIT, which it would take as the body: nothing is sent without
        the dot."""
        if code // 100 == 3 or code == 421:
            if pipelined:
                self._drop()
            else:
                self.close()
            return
        if pipelined:
            self._drain(owed)
        self._rset()

    def _drain(self, count: int) -> None:
        """Read the replies still owed to pipelined commands; a DATA opened regardless is ended by
        dropping the session."""
        assert self.smtp is not None
        try:
            for _ in range(count):
                code, _msg = self.smtp.getreply()
                if code // 100 == 3 or code == 421:
                    self._drop()
                    return
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()

    def _drop(self) -> None:
        """End the session without QUIT: inside DATA a QUIT would be taken as the body."""
        if self.smtp is not None:
            self.smtp.close()
            self.smtp = None

    def _data(self, smtp: Session, raw: bytes, accepted: list[str], temporary: dict[str, str],
              permanent: dict[str, str]) -> Delivery:
        """The body and the final dot, then the reply that decides the recipients' outcome."""
        body = raw.replace(b"\n.", b"\n..")  # a line that starts with a dot gets a second one
        if body.startswith(b"."):
            body = b"." + body
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body + b".\r\n")  # a drop here is before the final dot: safe to retry
        # From here on the server may have the message: anything but a reply is ambiguous (RELIABILITY 4)
        try:
            assert smtp.sock is not None
            smtp.sock.settimeout(self.cfg.data_timeout)
            code, msg = smtp.getreply()
            # smtplib's -1 is a reply it could not read: it may have been a 250; a 1xx or 3xx is
            # neither a yes nor a no (and leaves the session in a state nobody knows)
            lost = (None if 200 <= code < 300 or 400 <= code < 600
                    else f"unreadable reply after the final dot: {_reply(code, msg)}" if code < 0
                    else f"neither success nor refusal after the final dot: {_reply(code, msg)}")
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

    @staticmethod
    def _refuse_part(who: Sequence[str], code: int, msg: bytes, temporary: dict[str, str],
                     permanent: dict[str, str], *, text: str | None = None) -> Delivery:
        target = temporary if code < 500 else permanent
        target.update(dict.fromkeys(who, text or _reply(code, msg)))
        return Delivery((), temporary, permanent, reply=text or _reply(code, msg))

    def _rset(self) -> None:
        if self.smtp is None or self.smtp.sock is None:
            return
        try:
            self.smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()
