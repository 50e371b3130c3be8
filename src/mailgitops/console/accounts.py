"""Console accounts: operators with argon2 password hashes, server-side sessions and the sign-in
throttle, in one SQLite file kept outside the config repository (never in git)."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from mailgitops import private
from mailgitops.errors import ExitCode, MailgitopsError, UsageError

OPERATORS_ENV = "MAILGITOPS_OPERATORS"
DEFAULT_NAME = "mailgitops-operators.sqlite"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
LANGUAGES = ("en", "de", "zh")
SESSION_IDLE_SECONDS = 8 * 3600  # a working day without activity signs the operator out
SESSION_MAX_SECONDS = 24 * 3600
# how long a signed-out session's form token is known: a tab left open over a long weekend still
# leads to the sign-in page (with its typing), not to "the form came from another site"
ENDED_KEEP_SECONDS = 4 * 24 * 3600
THROTTLE_WINDOW = 15 * 60
THROTTLE_FAILURES = 5  # failed sign-ins per name in the window before that name pauses
# per client address, across names: higher, so that one operator's mistyping on a shared PC (or
# everyone behind one proxy) does not lock the others out, while trying many names still pauses
CLIENT_THROTTLE_FAILURES = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS operators (name TEXT PRIMARY KEY, hash TEXT NOT NULL,
  language TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, name TEXT NOT NULL,
  csrf TEXT NOT NULL, created_at REAL NOT NULL, seen_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS ended (csrf_hash TEXT PRIMARY KEY, at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_key ON failures(key, at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def default_path(outbox: str | None) -> Path:
    """MAILGITOPS_OPERATORS, else next to the outbox file (the current folder for PostgreSQL)."""
    env = os.environ.get(OPERATORS_ENV)
    if env:
        return Path(env)
    if outbox and not outbox.startswith(("postgres://", "postgresql://")):
        return Path(outbox).parent / DEFAULT_NAME
    return Path(DEFAULT_NAME)


@dataclass(frozen=True, slots=True)
class Operator:
    name: str
    language: str


@dataclass(frozen=True, slots=True)
class Session:
    operator: Operator
    csrf: str
    token_hash: str


def _digest(token: str) -> str:
    # only the hash is stored: a copy of the file does not hand out live sessions
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(key: str) -> str:
    """A throttle key as stored: its kind and a hash of its value. What was typed as a user name
    (sometimes the password) and the client's address are not kept in the file as written."""
    kind, _, value = key.partition(":")
    return f"{kind}:{_digest(value)}"


class Accounts:
    """One connection shared by the server's threads under a lock (the file is small and cold)."""

    def __init__(self, path: str | Path) -> None:
        from argon2 import PasswordHasher

        self.path = Path(path)
        self.hasher = PasswordHasher()
        self._dummy: str | None = None  # made at the first sign-in: unknown names cost the same time
        self.lock = threading.Lock()
        try:  # no folder is made: a missing one is a mistyped path (MAILGITOPS_OUTBOX's folder too)
            # password hashes and sessions: the file, its -wal and -shm readable by the service's
            # user only (a chmod after connect left the -wal and -shm at the umask's 0644)
            private.sqlite_file(self.path)
            self.db = sqlite3.connect(str(self.path), isolation_level=None, timeout=10.0,
                                      check_same_thread=False)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as e:
            from mailgitops.dispatch.outbox_sqlite_conn import why_unopenable, wrong_path

            why = why_unopenable(str(self.path), "an operators file") or e
            hint = (f"set {OPERATORS_ENV} to a file in a folder this user can write (for `mailgitops "
                    "operators`, --operators FILE); by default the file is made next to the outbox")
            if wrong_path(str(self.path)):  # a document or a folder: waiting does not change that
                raise UsageError(f"cannot open the operators file {self.path}: {why}", hint=hint) from e
            raise MailgitopsError(f"cannot open the operators file {self.path}: {why}", hint=hint,
                                  exit_code=ExitCode.TEMPORARY) from e

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- operators -------------------------------------------------------------------------------
    def add(self, name: str, password: str, *, language: str = "en", replace: bool = False) -> None:
        if not NAME_RE.match(name):
            raise MailgitopsError(f"{name!r} is not a usable operator name",
                                  hint="use 1-64 letters, digits, dots, dashes, underscores or @")
        if language not in LANGUAGES:
            raise MailgitopsError(f"the console does not speak {language!r}",
                                  hint=f"choose one of {', '.join(LANGUAGES)}")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise MailgitopsError(f"the password must have {MIN_PASSWORD} to {MAX_PASSWORD} characters",
                                  hint="pipe a longer passphrase on standard input")
        hashed = self.hasher.hash(password)
        with self.lock:
            exists = self.db.execute("SELECT 1 FROM operators WHERE name=?", (name,)).fetchone()
            if exists and not replace:
                raise MailgitopsError(f"operator {name!r} already exists",
                                      hint="add --replace to set a new password")
            self.db.execute("INSERT OR REPLACE INTO operators VALUES (?,?,?,?)",
                            (name, hashed, language, time.time()))
            self.db.execute("DELETE FROM sessions WHERE name=?", (name,))  # a new password signs out
            # ...and lifts the pause of failed guesses at the old one
            self.db.execute("DELETE FROM failures WHERE key=?", (_key(f"name:{name.lower()}"),))

    def remove(self, name: str) -> None:
        with self.lock:
            if self.db.execute("DELETE FROM operators WHERE name=?", (name,)).rowcount != 1:
                raise MailgitopsError(f"there is no operator {name!r}",
                                      hint="see the names with `mailgitops operators list`")
            self.db.execute("DELETE FROM sessions WHERE name=?", (name,))

    def names(self) -> list[Operator]:
        with self.lock:
            rows = self.db.execute("SELECT name, language FROM operators ORDER BY name").fetchall()
        return [Operator(n, lang) for n, lang in rows]

    def known(self, name: str) -> bool:
        with self.lock:
            return self.db.execute("SELECT 1 FROM operators WHERE name=?", (name,)).fetchone() is not None

    def set_language(self, name: str, language: str) -> None:
        if language in LANGUAGES:
            with self.lock:
                self.db.execute("UPDATE operators SET language=? WHERE name=?", (language, name))

    # -- sign-in ---------------------------------------------------------------------------------
    def throttled(self, keys: list[str]) -> float:
        """Seconds until another sign-in may be tried for any of these keys (0: now)."""
        now = time.time()
        wait = 0.0
        with self.lock:
            self.db.execute("DELETE FROM failures WHERE at<?", (now - THROTTLE_WINDOW,))
            for key in keys:
                rows = self.db.execute("SELECT at FROM failures WHERE key=? ORDER BY at DESC",
                                       (_key(key),)).fetchall()
                limit = CLIENT_THROTTLE_FAILURES if key.startswith("client:") else THROTTLE_FAILURES
                if len(rows) >= limit:
                    # the pause ends a window after the last failure counted against this key
                    wait = max(wait, rows[limit - 1][0] + THROTTLE_WINDOW - now)
        return max(0.0, wait)

    def verify(self, name: str, password: str, throttle_keys: list[str]) -> Operator | None:
        """The operator when name and password match; every failure counts against each key."""
        from argon2.exceptions import InvalidHashError, VerificationError

        with self.lock:
            row = self.db.execute("SELECT hash, language FROM operators WHERE name=?", (name,)).fetchone()
        ok = False
        try:
            if self._dummy is None:
                self._dummy = self.hasher.hash(secrets.token_hex(16))
            ok = self.hasher.verify(row[0] if row else self._dummy, password[:MAX_PASSWORD]) and bool(row)
        except (VerificationError, InvalidHashError):
            ok = False
        if not ok or row is None:
            with self.lock:
                now = time.time()
                self.db.executemany("INSERT INTO failures VALUES (?,?)",
                                    [(_key(k), now) for k in throttle_keys])
            return None
        with self.lock:
            self.db.executemany("DELETE FROM failures WHERE key=?", [(_key(k),) for k in throttle_keys[:1]])
        return Operator(name, row[1])

    # -- sessions --------------------------------------------------------------------------------
    def open_session(self, operator: Operator) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self.lock:
            self.db.execute("INSERT INTO sessions VALUES (?,?,?,?,?)",
                            (_digest(token), operator.name, secrets.token_urlsafe(32), now, now))
        return token

    def session(self, token: str | None) -> Session | None:
        if not token or len(token) > 200:
            return None
        now = time.time()
        key = _digest(token)
        with self.lock:
            row = self.db.execute(
                "SELECT s.name, s.csrf, s.created_at, s.seen_at, o.language FROM sessions s"
                " JOIN operators o ON o.name = s.name WHERE s.token_hash=?", (key,)).fetchone()
            if row is None:
                return None
            if now - row[3] > SESSION_IDLE_SECONDS or now - row[2] > SESSION_MAX_SECONDS:
                self.db.execute("DELETE FROM sessions WHERE token_hash=?", (key,))
                return None
            if now - row[3] > 60:  # one write a minute keeps the idle clock without a write per page
                self.db.execute("UPDATE sessions SET seen_at=? WHERE token_hash=?", (now, key))
        return Session(Operator(row[0], row[4]), row[1], key)

    def close_session(self, session: Session) -> None:
        """Sign-out: the session is gone, and its form token is remembered (as a hash) so that a
        form another tab sends with it is known as this browser's, not another site's: sign-out
        deletes the cookie, and the token is all such a form still has."""
        now = time.time()
        with self.lock:
            self.db.execute("DELETE FROM sessions WHERE token_hash=?", (session.token_hash,))
            self.db.execute("DELETE FROM ended WHERE at<?", (now - ENDED_KEEP_SECONDS,))
            self.db.execute("INSERT OR REPLACE INTO ended VALUES (?,?)", (_digest(session.csrf), now))

    def signed_out_form(self, csrf: str) -> bool:
        """Whether a form's token is that of a session signed out lately. Only the browser that
        held the session had it (a page of ours, never in an address or a cookie another site can
        read), so such a form comes from one of its tabs."""
        if not csrf or len(csrf) > 200:
            return False
        with self.lock:
            row = self.db.execute("SELECT at FROM ended WHERE csrf_hash=?", (_digest(csrf),)).fetchone()
        return row is not None and time.time() - row[0] <= ENDED_KEEP_SECONDS

    # -- small state the console keeps (the digest notice's last run) -----------------------------
    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (key, value))
