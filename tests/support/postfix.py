"""A real Postfix for tests: its own instance on 127.0.0.1 (own config, queue and data
directories under a temporary folder; never the system's instance), with STARTTLS and implicit
TLS (a test CA made here), SASL authentication (Cyrus sasldb), recipient domains that are refused
(5xx) and deferred (4xx), a small message_size_limit, and Maildirs the tests read.

Run it by hand: `.venv/bin/python tests/support/postfix.py` starts one and prints its settings."""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_string, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

REFUSED_DOMAIN = "refused.example"  # RCPT answered 550
DEFERRED_DOMAIN = "deferred.example"  # RCPT answered 450
LOCAL_DOMAINS = ("example.com", "example.org", "example.net", "shop.example",  # delivered to Maildirs
                 "xn--bcher-kva.example")  # bücher.example
SIZE_LIMIT = 200_000  # bytes; Postfix's message_size_limit, announced as SIZE in EHLO
USER, PASSWORD = "printroom", "test-only-postfix-password"  # a throwaway for this instance
REALM = "test.example"
TOOLS = ("/usr/sbin/postfix", "/usr/sbin/saslpasswd2")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def missing_tools() -> str | None:
    """Why Postfix cannot run here, or None. Tests fail (never skip) with this text."""
    missing = [t for t in TOOLS if not Path(t).exists()]
    if missing:
        return f"{', '.join(missing)} not installed: run `scripts/setup --test` (Debian: postfix, sasl2-bin)"
    if os.geteuid() != 0 and subprocess.run(["sudo", "-n", "true"], capture_output=True,
                                            check=False).returncode != 0:
        return "Postfix's master process starts as root: run the tests as root or with password-less sudo"
    return None


def _as_root(*cmd: str, **kw: Any) -> subprocess.CompletedProcess[str]:
    """Postfix starts as root; a CI runner that is not root has password-less sudo."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=60, check=False, **kw)


def _make_ca(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate it signed for localhost and 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailgitops test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost"),
                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(pem))
    cert_pem.write_bytes(cert.public_bytes(pem))
    key_pem.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    key_pem.chmod(0o600)
    return ca_pem, cert_pem, key_pem


MASTER = """\
{port}  inet n - n - - smtpd
{tls_port}  inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
{encrypt_port}  inet n - n - - smtpd -o smtpd_tls_security_level=encrypt
{helo_port}  inet n - n - - smtpd -o smtpd_helo_required=yes
  -o smtpd_helo_restrictions=reject_non_fqdn_helo_hostname
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def _main_cf(d: Path, size_limit: int, uid: int) -> str:
    return f"""\
compatibility_level = 3.6
config_directory = {d / 'etc'}
queue_directory = {d / 'queue'}
data_directory = {d / 'data'}
maillog_file = {d / 'postfix.log'}
maillog_file_prefixes = {d}
myhostname = mx.{REALM}
mydomain = {REALM}
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
# 127.0.0.1 is not trusted: relaying needs authentication, as at a provider
mynetworks = 192.0.2.1/32
# nothing ever leaves this instance
default_transport = error:this test server sends nothing outside
relay_transport = error:this test server sends nothing outside
virtual_mailbox_domains = {' '.join(LOCAL_DOMAINS)}
virtual_mailbox_base = {d / 'mail'}
virtual_mailbox_maps = static:Maildir/
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{uid}
message_size_limit = {size_limit}
header_size_limit = {min(size_limit, 102400)}
smtputf8_enable = yes
smtpd_tls_cert_file = {d / 'etc' / 'server.pem'}
smtpd_tls_key_file = {d / 'etc' / 'server.key'}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {d / 'etc' / 'sasl'}
smtpd_sasl_local_domain = {REALM}
smtpd_recipient_restrictions = check_recipient_access texthash:{d / 'etc' / 'access'},
    permit_sasl_authenticated, reject_unauth_destination
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
# answer at once: tests count attempts and a tarpit would only slow them
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 200
anvil_rate_time_unit = 60s
"""


@dataclass
class Postfix:
    """One running instance. Ports: `port` (STARTTLS offered, AUTH only after it), `tls_port`
    (implicit TLS), `encrypt_port` (STARTTLS required: 530 without), `helo_port` (a non-FQDN
    EHLO name is refused with 504)."""

    root: Path
    size_limit: int = SIZE_LIMIT
    port: int = field(default_factory=_free_port)
    tls_port: int = field(default_factory=_free_port)
    encrypt_port: int = field(default_factory=_free_port)
    helo_port: int = field(default_factory=_free_port)
    user: str = USER
    password: str = PASSWORD

    @property
    def ca_pem(self) -> Path:
        return self.root / "etc" / "ca.pem"

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / "Maildir"

    @property
    def log(self) -> str:
        path = self.root / "postfix.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def _postfix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return _as_root("/usr/sbin/postfix", "-c", str(self.root / "etc"), *args)

    def start(self) -> Postfix:
        why = missing_tools()
        if why:
            raise RuntimeError(why)
        d = self.root
        etc = d / "etc"
        (etc / "sasl").mkdir(parents=True)
        # mail is written as nobody, or as the tests' own user (who then can read it) when not root
        root = os.geteuid() == 0
        uid = pwd.getpwnam("nobody").pw_uid if root else os.geteuid()
        (d / "mail").mkdir()
        (d / "queue").mkdir(mode=0o755)  # Postfix makes its subfolders (owned by postfix) on start
        if root:
            os.chown(d / "mail", uid, uid)
        else:
            _as_root("chown", "root:root", str(d / "queue"))
        _make_ca(etc)
        (etc / "main.cf").write_text(_main_cf(d, self.size_limit, uid), encoding="utf-8")
        (etc / "master.cf").write_text(MASTER.format(
            port=f"127.0.0.1:{self.port}", tls_port=f"127.0.0.1:{self.tls_port}",
            encrypt_port=f"127.0.0.1:{self.encrypt_port}", helo_port=f"127.0.0.1:{self.helo_port}"),
            encoding="utf-8")
        (etc / "access").write_text(f"{REFUSED_DOMAIN} 550 5.7.1 Recipient refused by the test policy\n"
                                    f"{DEFERRED_DOMAIN} 450 4.7.1 Recipient deferred by the test policy\n",
                                    encoding="utf-8")
        sasldb = etc / "sasldb2"
        (etc / "sasl" / "smtpd.conf").write_text(
            f"pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: CRAM-MD5 PLAIN LOGIN\n"
            f"sasldb_path: {sasldb}\n", encoding="utf-8")
        subprocess.run(["/usr/sbin/saslpasswd2", "-p", "-c", "-f", str(sasldb), "-u", REALM, self.user],
                       input=self.password, text=True, check=True, capture_output=True, timeout=30)
        sasldb.chmod(0o640)
        _as_root("chown", f"root:{pwd.getpwnam('postfix').pw_gid}", str(sasldb))
        # the daemons run as postfix/nobody and open these absolute paths
        d.chmod(0o755)
        proc = self._postfix("start")
        if proc.returncode != 0:
            raise RuntimeError(f"postfix did not start: {proc.stdout}{proc.stderr}\n{self.log}")
        self._wait_listening()
        return self

    def _wait_listening(self, timeout: float = 20.0) -> None:
        end = time.monotonic() + timeout
        for port in (self.port, self.tls_port, self.encrypt_port, self.helo_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > end:
                        raise RuntimeError(f"postfix is not listening on {port}:\n{self.log}") from None
                    time.sleep(0.05)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._postfix("stop")
        if os.geteuid() == 0:
            shutil.rmtree(self.root, ignore_errors=True)
        else:  # the queue belongs to postfix
            _as_root("rm", "-rf", str(self.root))

    def messages(self) -> list[EmailMessage]:
        """Every delivered message, oldest first (Postfix adds Delivered-To per recipient)."""
        files: list[Path] = []
        for sub in ("new", "cur"):
            if (self.maildir / sub).is_dir():
                files.extend((self.maildir / sub).iterdir())
        files.sort(key=lambda p: p.name)  # Maildir names start with the delivery time
        # parsed as text: a message to or from an SMTPUTF8 address has UTF-8 headers (RFC 6532),
        # which the bytes parser would leave as undecoded surrogates
        return [message_from_string(p.read_bytes().decode("utf-8", "surrogateescape"),  # type: ignore[misc]
                                    policy=policy.default) for p in files]

    def mailbox(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if str(m.get("Delivered-To", "")).lower() == address.lower()]

    def wait_for(self, address: str, count: int = 1, timeout: float = 20.0) -> list[EmailMessage]:
        """The mailbox of `address` once it holds `count` messages (Postfix delivers after it
        has queued: the SMTP reply comes first). Fails with the log when they do not arrive."""
        end = time.monotonic() + timeout
        while True:
            got = self.mailbox(address)
            if len(got) >= count or time.monotonic() > end:
                assert len(got) >= count, f"{address} got {len(got)} of {count} messages:\n{self.log[-3000:]}"
                return got
            time.sleep(0.05)

    def wait_log(self, text: str, count: int, timeout: float = 20.0) -> str:
        """The log once `text` occurs `count` times (postlogd writes it a moment after the fact)."""
        end = time.monotonic() + timeout
        while (log := self.log).count(text) < count:
            assert time.monotonic() < end, f"{text!r} not logged {count} times:\n{log[-3000:]}"
            time.sleep(0.05)
        return log

    def sessions(self, timeout: float = 20.0) -> int:
        """How many SMTP sessions have ended, once every session begun has ended in the log:
        postlogd writes a moment after the fact, so a count taken while an earlier test's last
        lines are still on their way would let those lines pass for the next session's."""
        end = time.monotonic() + timeout
        while (log := self.log).count(": connect from") != (done := log.count(": disconnect from")):
            assert time.monotonic() < end, f"a session has not ended in the log:\n{log[-3000:]}"
            time.sleep(0.05)
        return done

    def clear(self) -> None:
        for sub in ("new", "cur"):
            if (self.maildir / sub).is_dir():
                for p in (self.maildir / sub).iterdir():
                    p.unlink()


def start_postfix(size_limit: int = SIZE_LIMIT) -> Postfix:
    # under /tmp, not pytest's 0700 folder: the daemons (postfix, nobody) must reach the files
    return Postfix(Path(tempfile.mkdtemp(prefix="mailgitops-postfix-")), size_limit=size_limit).start()


if __name__ == "__main__":
    pf = start_postfix()
    print(f"postfix running from {pf.root}\n  STARTTLS port {pf.port}, implicit TLS port {pf.tls_port}, "
          f"STARTTLS-required port {pf.encrypt_port}, HELO-checking port {pf.helo_port}\n"
          f"  CA {pf.ca_pem}; user {pf.user}, password {pf.password}\n"
          f"  mail lands in {pf.maildir}; stop with: postfix -c {pf.root / 'etc'} stop")
