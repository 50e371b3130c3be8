"""The one rule for "is this one email address?": validate (config and sample orders), the order
event, draft CC edits, `smtp test` and the MIME headers all ask `problem()` here.

The rule is the email-validator library's (syntax, dot rules, lengths, internationalised domains,
special-use names such as `localhost` or `.invalid` refused), without DNS. A few shapes that are
not one address at all (a display name, a list, a group, a line break) are named first, because
the fix for them is different. Two choices of ours, each with the reason in its message:
- no quoted local parts or `[ip]` literals: a customer's address never needs them.
Letters beyond ASCII are accepted on both sides of the `@` (RFC 6531): a non-ASCII domain travels
in its ASCII (IDNA) form, see `ascii_form`; a non-ASCII local part (`zoë@example.com`) can only
travel through a server that offers SMTPUTF8, which the transport finds out when it sends (and
names the address when the server does not).

email-validator costs ~0.1 s to import (it compiles Unicode classes), which the dispatcher's cold
start must not pay for every event: `_PLAIN` accepts the everyday ASCII address without it. It
is a strict subset of what the library accepts (tests/unit/test_addresses.py checks that with
generated addresses), so the library still decides every address `_PLAIN` does not accept.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from functools import lru_cache

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
# labels of letters, digits and single hyphens (no `--` anywhere: that is where punycode and
# RFC 5890's reserved labels live, left to the library); the last label ends with a letter
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9]|-(?!-)){0,61}(?<!-)"
_PLAIN = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@(?:{_LABEL}\.)+{_LABEL}(?<=[A-Za-z])\Z")
# email-validator's SPECIAL_USE_DOMAIN_NAMES; the library refuses them, so the fast path must too
_SPECIAL_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0080-\u009f\u2028\u2029]")
SPLIT_HINT = "one address per entry; several go in a list or are separated by `;`"
WHOLE_HINT = "write the whole address, e.g. printroom@example.com"


def _plain(addr: str) -> bool:
    return (len(addr) <= 254 and addr.index("@") <= 64 and _PLAIN.match(addr) is not None
            and addr.rsplit(".", 1)[1].lower() not in _SPECIAL_TLDS)


def unique(addresses: Sequence[str], exclude: Sequence[str] = ()) -> tuple[str, ...]:
    """Each address once, however its letters are cased (the first spelling kept), and none of
    `exclude` (the To: a recipient is not copied on their own email)."""
    seen = {a.lower() for a in exclude}
    out = []
    for a in addresses:
        if a.lower() not in seen:
            seen.add(a.lower())
            out.append(a)
    return tuple(out)


# `Boss <boss@example.net>`, `"Hansen, Boss" <boss@example.net>`, `<boss@example.net>`: one address
# as a mail program copies it, the name before it (quoted or not) and the address in angle brackets
_WITH_NAME = re.compile(r'(?:"([^"]*)"|([^"<>]*?))\s*<([^<>\s]+)>')


def with_name(entry: str) -> tuple[str, str] | None:
    """(name, address) of one address written with a display name or in angle brackets (the name
    may be ""), else None. Only the form is read here: `problem` still judges the address."""
    m = _WITH_NAME.fullmatch(entry.strip())
    if m is None:
        return None
    return (m.group(1) if m.group(1) is not None else m.group(2)).strip(), m.group(3)


_COMMA_FOR_DOT = re.compile(r"[^@,;\s]+@[^@,;.\s]+,[A-Za-z]{2,24}")


def _shape(addr: str) -> tuple[str, str] | None:  # noqa: PLR0911 - one return per shape
    """What makes `addr` not one address at all (message, hint), before the syntax is judged."""
    if _CONTROL.search(addr):
        return "contains a line break or control character", "write the address on one line"
    if "<" in addr or ">" in addr or '"' in addr:
        return ("is written with a display name or angle brackets",
                "write only the address here; the display name belongs in `name:`")
    if ":" in addr and "@" in addr.split(":", 1)[1] and not addr.startswith("["):
        return "uses group syntax (`name: a@x, b@y;`)", SPLIT_HINT
    if _COMMA_FOR_DOT.fullmatch(addr):
        # `orders@druckerei-hansen,de`: a domain without its dot, a top-level domain after the comma
        fixed = addr.replace(",", ".")
        return "has a `,` where a `.` goes, it seems", f"write {fixed}"
    if ";" in addr or "," in addr:
        return "holds more than one address", SPLIT_HINT
    if any(c.isspace() for c in addr):
        return "contains a space", SPLIT_HINT
    if "@" not in addr:
        return "has no `@`", WHOLE_HINT
    if addr.count("@") > 1:
        return "has more than one `@`", SPLIT_HINT
    return None


@lru_cache(maxsize=4096)
def problem(addr: str) -> tuple[str, str] | None:
    """Why `addr` is not one deliverable address (message, hint), or None when it is."""
    if "@" in addr and _plain(addr):
        return None
    shape = _shape(addr)
    if shape is not None:
        return shape
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(addr, check_deliverability=False, allow_smtputf8=True, allow_quoted_local=False,
                       allow_domain_literal=False, allow_display_name=False, allow_empty_local=False,
                       strict=True)  # strict: at most 64 characters before the @ (RFC 5321)
    except EmailNotValidError as e:
        reason = str(e).rstrip(".")
        return f"is not a valid address: {reason[:1].lower()}{reason[1:]}", _hint(reason)
    return None


def _hint(reason: str) -> str:
    if "special-use" in reason:
        return "use a real mail domain; localhost, .local, .test and .invalid cannot receive email"
    if "dash" in reason or "hyphen" in reason:
        return "a part of the domain cannot start or end with `-`, nor hold `--` unless it is punycode"
    if "bracketed" in reason:
        return "write the domain name, not an IP address"
    if "period" in reason or "top-level" in reason:
        return "check for a missing or stray dot, e.g. name@example.com"
    if "too long" in reason:
        return "check the address; at most 64 characters before the @ and 254 in all"
    return "check the address for typos"


def is_address(addr: str) -> bool:
    return problem(addr) is None


@lru_cache(maxsize=1024)
def ascii_form(addr: str) -> str:
    """The address with its domain as DNS knows it: an internationalised domain in its IDNA form
    (`ada@bücher.de` -> `ada@xn--bcher-kva.de`, `zoë@bücher.de` -> `zoë@xn--bcher-kva.de`); the
    local part as written (non-ASCII needs SMTPUTF8: dispatch/smtp_wire.py); an ASCII address
    unchanged. Only for addresses `problem` accepted."""
    if addr.isascii():
        return addr
    from email_validator import validate_email

    checked = validate_email(addr, check_deliverability=False, allow_smtputf8=True)
    return f"{checked.local_part}@{checked.ascii_domain}"


def is_fqdn(name: str) -> bool:
    """A fully qualified domain name, or an address literal like [192.0.2.1] (RFC 5321 4.1.1.1)."""
    if name.startswith("[") and name.endswith("]"):
        return True
    try:
        ipaddress.ip_address(name)
        return False  # a bare IP address is not a name: it has to be written [192.0.2.1]
    except ValueError:
        pass
    labels = name.rstrip(".").lower().split(".")
    if len(labels) < 2 or labels[-1] in {"localdomain", "localhost", "local", "lan", "home", "internal"}:
        return False
    return all(label and len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
               and not label.startswith("-") and not label.endswith("-") for label in labels)
