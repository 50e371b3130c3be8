"""Whom the transport trusts (S9): the system CAs, exactly one CA file, or one pinned certificate;
and whom it may send a password to in cleartext (loopback only)."""

from __future__ import annotations

import hashlib
import re
import smtplib
import socket
import ssl

from mailgitops.dispatch.smtp_config import ServerConfig, TransportError


def _norm_pin(pin: str) -> str:
    return re.sub(r"[^0-9a-f]", "", pin.lower())


def fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1 (also written [::1]): the only hosts a password may go to in
    cleartext (RELIABILITY 11), and the only ones `serve --insecure-no-token` may listen on."""
    if host == "localhost":
        return True
    import ipaddress  # only with a password on a cleartext connection: keep the cold start light

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(cfg: ServerConfig) -> ssl.SSLContext:
    # with ca_pem, only that certificate / CA is trusted (S9), not the system's list
    ctx = ssl.create_default_context(cadata=cfg.ca_pem) if cfg.ca_pem else ssl.create_default_context()
    if cfg.pin_sha256 and not cfg.ca_pem:
        # The pin replaces chain and name checks with a stricter one (this exact certificate),
        # checked by check_pin (below) before any SMTP command is sent; it is never skipped.
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def check_pin(sock: socket.socket | None, cfg: ServerConfig) -> None:
    if not cfg.pin_sha256:
        return
    der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
    seen = fingerprint(der) if der else "(no certificate)"
    if seen != _norm_pin(cfg.pin_sha256):
        raise TransportError("cert", f"the server's certificate has SHA-256 fingerprint {seen}, which does "
                             f"not match server.pin_sha256 {_norm_pin(cfg.pin_sha256)}")


def peer_fingerprint(cfg: ServerConfig) -> str:
    """The fingerprint of the certificate the server shows, fetched on a separate connection
    that sends nothing but (for starttls) EHLO and STARTTLS, only to report a mismatch."""
    probe = ssl.create_default_context()
    probe.check_hostname = False
    probe.verify_mode = ssl.CERT_NONE  # report-only: this connection never carries mail or AUTH
    try:
        with socket.create_connection((cfg.host, cfg.port), timeout=cfg.timeout) as plain:
            if cfg.security == "starttls":
                s = smtplib.SMTP(timeout=cfg.timeout, local_hostname="localhost")
                s.sock = plain
                s.getreply()
                s.ehlo()
                s.docmd("STARTTLS")
            with probe.wrap_socket(plain, server_hostname=cfg.host) as tls:
                der = tls.getpeercert(binary_form=True)
                return fingerprint(der) if der else "(none)"
    except (OSError, smtplib.SMTPException):
        return "(could not be read)"
