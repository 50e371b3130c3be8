"""A throwaway PostgreSQL cluster for tests: initdb in a temporary folder as an unprivileged system
user (PostgreSQL refuses to run as root), listening on 127.0.0.1 on a free port only, with a fresh
schema per test (new_database), all removed with the cluster. Debian's postgresql package must be
installed (scripts/setup --test does it); a missing one fails the run, never skips it.

Everyone logs in without a password (trust) except PASSWORD_ROLE, which must give its password
(scram-sha-256): the tests of how the outbox finds a password (PGPASSWORD, a password file, a
service file) and of a refused login use it. Its password is made at each start, never stored."""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

from support.smtpd import free_port

USER = "mailgitops-test"
PASSWORD_ROLE = "mailgitops_pw"
SHARED = "outboxes"  # the database whose schemas new_database() hands out


def _bin() -> Path:
    for version in ("17", "16", "15", "14", "13"):
        folder = Path(f"/usr/lib/postgresql/{version}/bin")
        if (folder / "initdb").exists():
            return folder
    raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                       "run scripts/setup --test")


def _as_user(args: list[str]) -> list[str]:
    return ["runuser", "-u", USER, "--", *args] if os.geteuid() == 0 else args


def _ensure_user() -> None:
    if os.geteuid() != 0:
        return
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
                       check=False, capture_output=True)
        pwd.getpwnam(USER)  # a concurrent worker may have made it: either way it exists now


class PgCluster:
    def __init__(self) -> None:
        self.bin = _bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mailgitops-pg-"))
        self.data = self.dir / "data"
        self._names = itertools.count(1)
        self._shared = False  # SHARED made yet?
        self.password = secrets.token_urlsafe(18)  # PASSWORD_ROLE's, for this run only

    def start(self) -> PgCluster:
        _ensure_user()
        if os.geteuid() == 0:
            shutil.chown(self.dir, USER)
        self.dir.chmod(0o700)
        subprocess.run(_as_user([str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                                 "-U", "postgres", "-E", "UTF8", "--no-sync", "--no-instructions"]),
                       check=True, capture_output=True)
        hba = self.data / "pg_hba.conf"  # the first matching line wins: this role only needs a password
        hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"),
                                 "-w", "-t", "120", "-o", options, "start"]), check=True, capture_output=True)
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(PASSWORD_ROLE), sql.Literal(self.password)))
        return self

    def url(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def new_database(self, owner: str | None = None) -> str:
        """A fresh, empty place for an outbox, as a URL. Without `owner`: a schema of its own in the
        cluster's shared database, made the search path by the URL (`options=-csearch_path=...`);
        the outbox names its tables unqualified, so it cannot tell. A CREATE DATABASE per test cost
        ~55 ms and ~8 MB of copied catalog (gigabytes per suite run); a schema costs ~0.2 ms.
        With `owner`: a whole database that role owns, and the URL logs in as it."""
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            if owner:
                conn.execute(f'CREATE DATABASE "{name}" OWNER "{owner}"')
                return self.url(name, owner)
            if not self._shared:
                conn.execute(f'CREATE DATABASE "{SHARED}"')
                self._shared = True
        with psycopg.connect(self.url(SHARED), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url(SHARED)}?options=-csearch_path%3D{name}"

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(_as_user([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                                     "stop"]), check=False, capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)
