"""`smtp check`'s dry run: a real transaction up to RCPT TO, then RSET and QUIT, so nothing is
sent; every stage's failure is named with the server's reply and a hint."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mailgitops.dispatch.smtp import Connection, encode_address, reply_text
from mailgitops.dispatch.smtp_config import ServerConfig, TransportError
from mailgitops.dispatch.smtp_wire import is_fqdn
from mailgitops.errors import ExitCode, MailgitopsError

# failures that may pass by themselves: `smtp check` exits 75 (try again later) for these
TRANSIENT = frozenset({"refused", "timeout", "dropped", "temporary"})
STAGE_HINTS = {
    "connect": "check server.host and server.port, and that the server is running",
    "EHLO": "the server refused our greeting; see server.helo_name",
    "STARTTLS": "check server.security and the certificate settings",
    "AUTH": "check auth.username and the password (auth.password_env / auth.password_file)",
}


@dataclass(frozen=True, slots=True)
class CheckReport:
    steps: tuple[str, ...]  # one line per stage that passed
    size_limit: int | None  # the server's SIZE, None when it announces none


def _speaks(cfg: ServerConfig) -> str | None:
    """What the port actually speaks, on a separate connection that sends nothing but a TLS
    hello: "plain" (it greets in clear text), "tls" (implicit TLS), or None (unknown)."""
    wait = min(cfg.timeout, 3.0)
    try:
        with socket.create_connection((cfg.host, cfg.port), timeout=wait) as sock:
            try:
                if sock.recv(4).startswith(b"220"):
                    return "plain"
            except TimeoutError:
                pass  # no greeting: an implicit-TLS port waits for our TLS hello
            probe = ssl.create_default_context()
            probe.check_hostname = False
            probe.verify_mode = ssl.CERT_NONE  # only asks whether TLS is spoken; nothing is sent
            with probe.wrap_socket(sock, server_hostname=cfg.host):
                return "tls"
    except (OSError, ssl.SSLError):
        return None


def _mixup(cfg: ServerConfig) -> str | None:
    speaks = _speaks(cfg)
    where = f"port {cfg.port}"
    if cfg.security == "tls" and speaks == "plain":
        return (f"{where} speaks plain SMTP (it greets before any TLS), but server.security is `tls` "
                "(implicit TLS, usually port 465): set security: starttls for this port (usually 587)")
    if cfg.security in ("starttls", "none") and speaks == "tls":
        return (f"{where} expects implicit TLS (it waits for a TLS hello and answers one), but "
                f"server.security is `{cfg.security}`: set security: tls for this port (usually 465)")
    return None


def _fail(stage: str, message: str, hint: str | None, kind: str = "permanent") -> MailgitopsError:
    code = ExitCode.TEMPORARY if kind in TRANSIENT else ExitCode.PROBLEMS
    return MailgitopsError(f"smtp check failed at {stage}: {message}", hint=hint, exit_code=code)


def _open(conn: Connection) -> None:
    try:
        conn.open()
    except TransportError as e:
        cfg = conn.cfg
        if (e.kind in ("tls", "timeout", "dropped", "starttls") and cfg.security != "none") or (
                e.kind == "timeout" and conn.stage == "connect"):
            mixup = _mixup(cfg)
            if mixup:
                raise _fail("connect", mixup, None, "config") from e
        hint = None if e.kind in ("cert", "config") else STAGE_HINTS.get(conn.stage)
        raise _fail(conn.stage, e.message, hint, e.kind) from e


def dry_run(cfg: ServerConfig, sender: str, to: str, warn: Callable[[str], None],
            env: Mapping[str, str] | None = None) -> CheckReport:
    """EHLO, STARTTLS or TLS, AUTH, MAIL FROM `sender`, RCPT TO `to`, RSET, QUIT. Warnings go to
    `warn` as soon as they are known, so they are shown even when a later stage fails."""
    try:  # before any connection: a missing password is named as such, not as a failed connect
        cfg.password(env)
    except TransportError as e:
        raise MailgitopsError(f"smtp check did not start: {e.message}", exit_code=ExitCode.PROBLEMS,
                              hint="give the password where config/smtp.yaml's auth says: that environment "
                                   "variable or file (the server was not contacted)") from e
    if (exposed := cfg.exposed_password_file()) is not None:
        warn(exposed)
    conn = Connection(cfg, env)
    if not is_fqdn(conn.helo_name):
        warn(f"the EHLO name {conn.helo_name!r} is not fully qualified; servers that check it "
                        "answer 504 and refuse every message: set server.helo_name to this machine's "
                        "name in DNS, e.g. mail.example.com")
    _open(conn)
    smtp = conn.smtp
    assert smtp is not None
    steps = [f"connected to {cfg.host}:{cfg.port} and greeted as {conn.helo_name}"]
    if cfg.security != "none":
        steps.append(f"TLS ({cfg.security}) with a verified certificate")
    if cfg.password(env) is not None:
        steps.append(f"authenticated as {cfg.username} ({conn.mechanism})")
    steps.append("SMTPUTF8 offered: addresses with letters beyond ASCII before the @ are sent as written"
                 if smtp.has_extn("smtputf8") else
                 "SMTPUTF8 not offered: an address with letters beyond ASCII before the @ (zoë@example.com) "
                 "cannot be sent through this server; its message fails, naming the address")
    limit, configured = conn.size_limit, cfg.max_message_bytes
    if limit is not None and configured is not None and configured > limit:
        warn(f"the configured maximum message size ({configured:,} bytes) is larger "
                        f"than the server accepts ({limit:,} bytes): messages between the two would be "
                        "refused; lower limits.max_message_bytes in config/smtp.yaml")
    try:
        _transaction(conn, sender, to, steps)
    finally:
        conn.close()
    steps.append("RSET and QUIT: nothing was sent")
    return CheckReport(tuple(steps), limit)


def _transaction(conn: Connection, sender: str, to: str, steps: list[str]) -> None:
    smtp = conn.smtp
    assert smtp is not None
    cfg = conn.cfg
    utf8 = smtp.has_extn("smtputf8")
    wire_from, why = encode_address(sender, utf8, cfg.host)
    wire_to, why_to = encode_address(to, utf8, cfg.host)
    if why or why_to:
        raise _fail("MAIL FROM" if why else "RCPT TO", why or why_to or "", None)
    options = ["SMTPUTF8"] if utf8 and not (wire_from + wire_to).isascii() else []
    stage = "MAIL FROM"  # where a dropped connection is named: the command that was waiting
    try:
        code, msg = smtp.mail(wire_from, options)
        if code // 100 != 2:  # any 2xx accepts, as when sending
            raise _refused(f"MAIL FROM:<{sender}>", cfg.host, code, msg, _mail_hint(code, msg, cfg))
        steps.append(f"MAIL FROM:<{sender}> accepted")
        stage = "RCPT TO"
        code, msg = smtp.rcpt(wire_to)
        if code // 100 != 2:
            raise _refused(f"RCPT TO:<{to}>", cfg.host, code, msg, _rcpt_hint(code, msg, cfg))
        steps.append(f"RCPT TO:<{to}> accepted")
        smtp.rset()
    except (smtplib.SMTPException, OSError) as e:
        if isinstance(e, MailgitopsError):
            raise
        raise _fail(stage, f"{cfg.host} dropped the connection: {e}", None, "dropped") from e
    finally:
        smtp.command_encoding = "ascii"


def _refused(command: str, host: str, code: int, msg: bytes, hint: str) -> MailgitopsError:
    """What we sent, then what the server said to it: `MAIL FROM:<a@b> was refused: HOST answered
    553 ...`; with the reply first (`answered 553 ... to MAIL FROM:<a@b>`) it read backwards."""
    stage = command.partition(":")[0]
    return _fail(stage, f"{command} was refused: {host} answered {reply_text(code, msg)}", hint,
                 "temporary" if code < 500 else "permanent")


def _mail_hint(code: int, msg: bytes, cfg: ServerConfig) -> str:
    text = msg.decode("utf-8", "replace").lower()
    if code == 530 or "starttls" in text:
        return "the server wants TLS first: set server.security: starttls (port 587) or tls (port 465)"
    if "auth" in text:
        return ("the server wants authentication: set auth.mode: custom with username and "
                "password_env" if cfg.auth_mode != "custom" else "the account may not send as this address")
    return "the server does not accept this sender: check sender.address in config/smtp.yaml"


def _rcpt_hint(code: int, msg: bytes, cfg: ServerConfig) -> str:
    text = msg.decode("utf-8", "replace").lower()
    if "relay" in text:
        if cfg.auth_mode != "custom":
            return "the server does not relay for us: authenticate (auth.mode: custom)"
        return "the account may not relay to this address; ask the mail provider"
    if code == 504 and "helo" in text:
        return "set server.helo_name to this machine's fully qualified name"
    return "try another address with --to; the server refused this one"
