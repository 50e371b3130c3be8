"""Who may call the service: the bearer token from MAILGITOPS_API_TOKEN, checked in constant time."""

from __future__ import annotations

import hmac

from mailgitops.dispatch.smtp_trust import is_loopback
from mailgitops.errors import UsageError

__all__ = ["MIN_TOKEN_BYTES", "TOKEN_ENV", "URL_SECRETS", "authorized", "is_loopback", "secret_in_query",
           "startup_token"]

TOKEN_ENV = "MAILGITOPS_API_TOKEN"  # noqa: S105 -- the variable's name, not a secret
MIN_TOKEN_BYTES = 32  # what `openssl rand -hex 16` gives at least; short tokens can be guessed
# query parameters that would carry a secret: refused, because a URL is written into proxies', browsers'
# and shells' histories, where a header is not
URL_SECRETS = ("token", "access_token", "session", "api_key", "apikey", "key", "auth", "password")


def startup_token(token: str | None, host: str, *, allow_tokenless: bool) -> str | None:
    """The token every request must carry, or None (no token) only for loopback with the flag."""
    if token:
        if len(token.encode("utf-8")) < MIN_TOKEN_BYTES:
            raise UsageError(f"{TOKEN_ENV} is {len(token.encode('utf-8'))} bytes long: serve refuses a token "
                             f"shorter than {MIN_TOKEN_BYTES} bytes (it could be guessed)",
                             hint=f"set {TOKEN_ENV} to a long random secret, e.g. `openssl rand -hex 32`")
        return token
    if not allow_tokenless:
        raise UsageError(f"{TOKEN_ENV} is not set: serve refuses to start without an API token",
                         hint=f"set {TOKEN_ENV} to a long random secret (e.g. `openssl rand -hex 32`); "
                              "for a local test only, pass --insecure-no-token with --host 127.0.0.1")
    if not is_loopback(host):
        raise UsageError(f"--insecure-no-token is refused on {host}: without a token, anyone who can "
                         "reach the port could send emails",
                         hint=f"set {TOKEN_ENV}, or listen on a loopback address (127.0.0.1, ::1)")
    return None


def authorized(header: str | None, token: str | None) -> bool:
    """`Authorization: Bearer <token>`; compare_digest so the answer time says nothing of the token."""
    if token is None:
        return True
    scheme, _, given = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8"))


def secret_in_query(query: bytes | str) -> bool:
    """Whether a query string names a parameter that would carry the token or a password."""
    from urllib.parse import parse_qsl

    text = query.decode("latin-1") if isinstance(query, bytes) else query
    return any(name.strip().lower() in URL_SECRETS for name, _ in parse_qsl(text, keep_blank_values=True))
