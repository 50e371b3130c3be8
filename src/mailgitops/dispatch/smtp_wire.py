"""What goes on the wire: a server's reply as one line of text, an address as MAIL FROM /
RCPT TO can carry it (IDNA for a non-ASCII domain, SMTPUTF8 for a non-ASCII local part), and
whether an EHLO name is fully qualified."""

from __future__ import annotations

from collections.abc import Sequence

from mailgitops.addresses import is_fqdn

__all__ = ["encode_address", "envelope_commands", "idna_domain", "is_fqdn", "reply_text"]


def reply_text(code: int, msg: bytes | str) -> str:
    """`550 5.1.1 no such user`: the code first, then the text on one line."""
    text = msg.decode("utf-8", "replace") if isinstance(msg, bytes) else msg
    return f"{code} {' '.join(text.split())}"


def idna_domain(domain: str) -> str:
    """The domain as DNS and ASCII-only servers know it: bücher.example -> xn--bcher-kva.example."""
    if domain.isascii():
        return domain
    # Python's codec is IDNA 2003: it maps case and a few characters (ß stays ss) the way
    # registries did for most of today's names; a name it cannot encode is refused below
    return domain.encode("idna").decode("ascii")


def encode_address(addr: str, smtputf8: bool, host: str) -> tuple[str, str | None]:
    """(the address as sent, None), or ("", why it cannot be sent to `host`)."""
    local, _, domain = addr.rpartition("@")
    try:
        ascii_domain = idna_domain(domain)
    except UnicodeError:
        return "", f"the domain of {addr} is not a valid internationalised domain name"
    if local.isascii():
        return f"{local}@{ascii_domain}", None
    if smtputf8:
        return f"{local}@{ascii_domain}", None
    return "", (f"{addr} has non-ASCII characters before the @, and {host} does not offer SMTPUTF8 "
                "(internationalised email), so this address cannot be sent to through it")


def envelope_commands(wire_from: str, options: Sequence[str], rcpts: Sequence[str]) -> bytes:
    """MAIL FROM, one RCPT TO per recipient and DATA as one write, for a server that offers
    PIPELINING (RFC 2920): their replies come back in the same order. UTF-8 only in an SMTPUTF8
    transaction; a line break inside an address is refused, as smtplib refuses it."""
    lines = [f"MAIL FROM:<{wire_from}>" + "".join(f" {o}" for o in options),
             *(f"RCPT TO:<{r}>" for r in rcpts), "DATA"]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError(f"a command would carry a line break: {line!r}")
    return "".join(f"{line}\r\n" for line in lines).encode("utf-8" if "SMTPUTF8" in options else "ascii")
