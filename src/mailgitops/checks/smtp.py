"""SMTP settings that the schema cannot judge alone: port/mode pairs, auth, TLS trust."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

from mailgitops.diagnostics import Diagnostic
from mailgitops.model import DEFAULT_PORTS
from mailgitops.redact import unsecret
from mailgitops.repo import LoadedRepo
from mailgitops.yamlsrc import YamlDoc

SMTP = "config/smtp.yaml"
USUAL_PORT = DEFAULT_PORTS  # the port each security mode uses when none is written
USUAL_MODE = {port: mode for mode, port in USUAL_PORT.items()}
# one documented pin format: 64 hex digits, optionally in colon-separated pairs (as openssl prints)
PIN = re.compile(r"^(?:[0-9A-Fa-f]{64}|(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2})$")
PIN_HINT = ("64 hex digits (colons allowed), as printed by "
            "`openssl x509 -in server.pem -noout -fingerprint -sha256`")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _ports(doc: YamlDoc, server: dict[str, Any]) -> list[Diagnostic]:
    port, mode = server.get("port"), server.get("security", "none")
    if not isinstance(port, int) or isinstance(port, bool) or port not in USUAL_MODE:
        return []
    if not isinstance(mode, str) or mode not in USUAL_PORT or USUAL_MODE[port] == mode:
        return []
    return [doc.at(("server", "port"), "port-security-mismatch",
                   f"port {port} usually means security `{USUAL_MODE[port]}`, not `{mode}`",
                   hint=f"use port {USUAL_PORT[mode]} with `{mode}`, or security `{USUAL_MODE[port]}` "
                   f"with port {port} (25/none, 587/starttls, 465/tls)").as_warning()]


def _auth(doc: YamlDoc, server: dict[str, Any], auth: dict[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if auth.get("mode") != "custom":
        return out
    if not auth.get("username"):
        out.append(doc.at(("auth", "mode"), "auth-incomplete", "`mode: custom` needs a `username`",
                          hint="add username: <the SMTP account>"))
    if not auth.get("password_env") and not auth.get("password_file"):
        out.append(doc.at(("auth", "mode"), "auth-incomplete",
                          "`mode: custom` needs where the password comes from",
                          hint="add password_env: MAILGITOPS_SMTP_PASSWORD or password_file: <path>"))
    host = server.get("host")
    if server.get("security", "none") == "none" and isinstance(host, str) and not is_loopback(host):
        where = ("server", "security") if "security" in server else ("auth", "mode")
        out.append(doc.at(where, "auth-cleartext",
                          f"the password would cross the network in clear text to `{unsecret(host)}`",
                          hint="use security: starttls (port 587) or tls (port 465)"))
    return out


def _ca_file(doc: YamlDoc, root: Path, ca: str) -> list[Diagnostic]:
    where = ("server", "ca_file")
    path = Path(ca)
    if path.is_absolute() or ".." in path.parts:
        return [doc.at(where, "ca-file-outside", f"`{ca}` is outside the repository",
                       hint="commit the certificate, e.g. certs/smtp.pem, and give its path "
                       "relative to the repository root")]
    full = (root / path).resolve()
    if not full.is_relative_to(root.resolve()):
        return [doc.at(where, "ca-file-outside", f"`{ca}` leads outside the repository (symlink)",
                       hint="commit the certificate itself, not a link to it")]
    if not full.is_file():
        return [doc.at(where, "ca-file-missing", f"`{ca}` does not exist in the repository",
                       hint="commit the server's certificate (PEM) at that path")]
    try:
        with full.open("rb") as f:
            head = f.read(200_000)
    except OSError as e:
        return [doc.at(where, "ca-file-missing", f"`{ca}` cannot be read: {e.strerror}")]
    if b"-----BEGIN CERTIFICATE-----" not in head:
        return [doc.at(where, "ca-file-not-pem", f"`{ca}` holds no PEM certificate",
                       hint="export the certificate as PEM (-----BEGIN CERTIFICATE-----)")]
    return []


def _tls(doc: YamlDoc, root: Path, server: dict[str, Any]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    ca, pin = server.get("ca_file"), server.get("pin_sha256")
    if server.get("allow_self_signed") is True and not ca and not pin:
        out.append(doc.at(("server", "allow_self_signed"), "self-signed-untrusted",
                          "`allow_self_signed: true` needs the certificate to trust",
                          hint="add ca_file: <the server's certificate, in the repository> or "
                          "pin_sha256: <its SHA-256 fingerprint>"))
    if isinstance(pin, str) and not PIN.match(pin.strip()):
        out.append(doc.at(("server", "pin_sha256"), "bad-pin",
                          "`pin_sha256` is not a SHA-256 fingerprint", hint=PIN_HINT))
    if isinstance(ca, str) and ca:
        out.extend(_ca_file(doc, root, ca))
    if server.get("security", "none") == "none":
        for key in ("allow_self_signed", "ca_file", "pin_sha256"):
            if server.get(key):
                out.append(doc.at(("server", key), "tls-setting-unused",
                                  f"`{key}` has no effect with `security: none`",
                                  hint="set security: starttls or tls, or remove it").as_warning())
    return out


def _password_file(doc: YamlDoc, root: Path, auth: dict[str, Any]) -> list[Diagnostic]:
    pf = auth.get("password_file")
    if not isinstance(pf, str) or not pf:
        return []
    full = (root / pf).resolve() if not Path(pf).is_absolute() else Path(pf).resolve()
    if full.is_relative_to(root.resolve()):
        return [doc.at(("auth", "password_file"), "secret-in-repo",
                       "`password_file` points inside the repository, so the password would be committed",
                       hint="keep the file outside the repository, e.g. /etc/mailgitops/smtp-password")]
    return []


def _helo(doc: YamlDoc, server: dict[str, Any]) -> list[Diagnostic]:
    from mailgitops.addresses import is_fqdn

    name = server.get("helo_name")
    if not isinstance(name, str) or not name or is_fqdn(name):
        return []
    return [doc.at(("server", "helo_name"), "helo-not-fqdn",
                   f"`{name}` is not a fully qualified name; servers that check the EHLO name refuse "
                   "every message (504)", hint="use this machine's name in DNS, e.g. mail.example.com"
                   ).as_warning()]


def _limits(doc: YamlDoc, limits: dict[str, Any]) -> list[Diagnostic]:
    from mailgitops.settings import LimitSettings

    given = {k: v for k, v in limits.items() if type(v) is int}
    lim = LimitSettings()._replace(**{k: v for k, v in given.items() if k in LimitSettings._fields})
    out: list[Diagnostic] = []
    if lim.max_attachment_bytes > lim.max_total_attachment_bytes:
        key = "max_attachment_bytes" if "max_attachment_bytes" in given else "max_total_attachment_bytes"
        out.append(doc.at(("limits", key), "limits-inconsistent",
                          f"one attachment may be {lim.max_attachment_bytes:,} bytes, but all of them "
                          f"together only {lim.max_total_attachment_bytes:,}",
                          hint="make max_attachment_bytes at most max_total_attachment_bytes").as_warning())
    encoded = lim.max_total_attachment_bytes * 4 // 3  # base64
    if encoded > lim.max_message_bytes:
        key = "max_total_attachment_bytes" if "max_total_attachment_bytes" in given else "max_message_bytes"
        out.append(doc.at(("limits", key), "limits-inconsistent",
                          f"{lim.max_total_attachment_bytes:,} bytes of attachments become about {encoded:,} "
                          f"bytes in the email, more than max_message_bytes ({lim.max_message_bytes:,})",
                          hint="lower max_total_attachment_bytes to about three quarters of "
                          "max_message_bytes, leaving room for the text").as_warning())
    return out


def check(loaded: LoadedRepo) -> list[Diagnostic]:
    doc = loaded.docs.get(SMTP)
    if doc is None or not isinstance(doc.data, dict):
        return []
    server, auth = _d(doc.data.get("server")), _d(doc.data.get("auth"))
    root = loaded.repo.root
    return (_ports(doc, server) + _auth(doc, server, auth) + _tls(doc, root, server)
            + _password_file(doc, root, auth) + _helo(doc, server) + _limits(doc, _d(doc.data.get("limits"))))
