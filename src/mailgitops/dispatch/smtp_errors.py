"""What failed while getting a connection ready for mail, in plain words with a hint that
never suggests a setting that is already there."""

from __future__ import annotations

import smtplib
import socket
import ssl

from mailgitops.dispatch.smtp_config import ServerConfig, TransportError
from mailgitops.dispatch.smtp_trust import peer_fingerprint
from mailgitops.dispatch.smtp_wire import reply_text


def cert_hint(cfg: ServerConfig, seen: str, verify_message: str) -> str:
    """How to trust the certificate, given what is configured already."""
    if "mismatch" in verify_message.lower() or "hostname" in verify_message.lower():
        return (f"the certificate is for another name than {cfg.host!r}: set server.host to a name the "
                f"certificate carries, or pin it with server.pin_sha256: {seen}")
    if cfg.ca_pem:
        return ("the certificate in server.ca_file did not issue this one: put the server's certificate "
                f"(or the CA that issued it) in that file, or pin it with server.pin_sha256: {seen}")
    return (f"if it is yours, trust it with server.ca_file (its PEM file in the repository) or "
            f"server.pin_sha256: {seen}")


def classify_open_error(  # noqa: PLR0911 -- one return per failure kind reads as a table
    e: BaseException, cfg: ServerConfig, stage: str = "connect", helo: str = ""
) -> BaseException:
    """Say plainly what failed while connecting (at `stage`: connect, EHLO, STARTTLS, AUTH; `helo`:
    the name our EHLO gave), in the words of `smtp check`."""
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
        message = str(e.verify_message)
        return TransportError("cert", f"the certificate of {where} is not trusted: {message}; "
                              f"it has SHA-256 fingerprint {seen} ({cert_hint(cfg, seen, message)})")
    if isinstance(e, ssl.SSLError):
        return TransportError("tls", f"TLS with {where} failed: {e.reason or e}")
    if isinstance(e, smtplib.SMTPAuthenticationError):
        reply = reply_text(e.smtp_code, e.smtp_error)
        return TransportError("auth", f"{where} rejected the user name or password: {reply}")
    if isinstance(e, smtplib.SMTPNotSupportedError):
        return TransportError("auth", f"{where} does not offer authentication: {e}")
    if isinstance(e, smtplib.SMTPConnectError | smtplib.SMTPResponseException):
        return _answered(where, e.smtp_code, e.smtp_error, stage, helo)
    if isinstance(e, smtplib.SMTPServerDisconnected | ConnectionError | OSError):
        return TransportError("dropped", f"{where} dropped the connection: {e}")
    if isinstance(e, smtplib.SMTPException):
        return TransportError("auth", f"{where} cannot authenticate us: {e}")
    if isinstance(e, Exception):
        # Anything else (a password smtplib cannot encode, say) must still pause sending rather
        # than leave claimed rows behind; its text is not shown, as it may quote the password.
        return TransportError("config", f"getting {where} ready for mail failed ({type(e).__name__}); "
                              "check server and auth in config/smtp.yaml and the password's characters")
    return e


def _answered(where: str, code: int, text: bytes | str, stage: str, helo: str) -> TransportError:
    """A reply other than the one expected while the connection was made ready: a 4xx is
    temporary; a 5xx, before any message, would meet every message alike (sending pauses)."""
    reply = reply_text(code, text)
    if code < 500:
        return TransportError("temporary", f"{where} answered {reply}")
    if stage == "connect":
        why = (f"{where} refuses connections from this machine: {reply} (before any message; its "
               "administrator can say why, e.g. a block list or a relay that does not know this machine)")
    elif stage == "EHLO":
        why = (f"{where} refused our greeting (EHLO {helo}): {reply}; set server.helo_name in "
               "config/smtp.yaml to a name it accepts, e.g. this machine's full DNS name")
    else:
        # the command first, then the reply to it, as `smtp check` says MAIL FROM's and RCPT TO's
        why = f"{stage} was refused: {where} answered {reply}, before any message"
    return TransportError("server-refuses", why)
