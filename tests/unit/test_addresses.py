"""addresses.py: one rule for "is this one address?", the same in validate, the event and the MIME stage."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from mailgitops.addresses import _plain, ascii_form, problem


def _library_accepts(addr: str) -> bool:
    try:
        validate_email(addr, check_deliverability=False, allow_smtputf8=True, allow_quoted_local=False,
                       allow_domain_literal=False, allow_display_name=False, strict=True)
    except EmailNotValidError:
        return False
    return True


@pytest.mark.parametrize("addr", ["printroom@example.com", "a.b+tag@sub.example.co.uk", "Ada@EXAMPLE.org",
                                  "o'brien@example.ie", "ada@bücher.de", "ada@xn--bcher-kva.de",
                                  "zoë@example.com", "李华@例子.中国"])
def test_good_addresses(addr: str) -> None:
    assert problem(addr) is None, problem(addr)


@pytest.mark.parametrize(("addr", "words"), [
    (".a..b.@example.com", "period"),  # issue 9: this one used to be accepted and sent
    ("a..b@example.com", "two periods in a row"),
    ("a.@example.com", "period immediately before the @-sign"),
    ("a@example", "should have a period"),
    ("a@-x.com", "hyphen"),
    ("a@x.c0", "top-level domain"),
    ("ops@localhost", "should have a period"),
    ("ops@printroom.local", "special-use"),
    ("x@[127.0.0.1]", "bracketed IP address"),
    ("zoë..x@example.com", "two periods in a row"),  # non-ASCII: the library's rules still hold
    ("zoë@localhost", "should have a period"),
    ("x" * 65 + "@example.com", "too long"),
    ("a@example.com\n", "line break"),
    ("a@example.com\r\nBcc: evil@example.com", "line break"),
    ("Print Room <a@example.com>", "display name"),
    ("a@example.com, b@example.com", "more than one address"),
    ("a@example.com,b", "more than one address"),
    ("auftraege@druckerei-hansen,de", "a `,` where a `.` goes"),  # a new admin's slip: not two addresses
    ("Team: a@x.com, b@x.com;", "group syntax"),
    ("printroom.example.com", "no `@`"),
    ("a@@example.com", "more than one `@`"),
])
def test_bad_addresses_say_which_rule(addr: str, words: str) -> None:
    found = problem(addr)
    assert found is not None, f"{addr!r} was accepted"
    assert words in found[0], found


def test_an_internationalised_domain_travels_in_ascii() -> None:
    assert ascii_form("ada@bücher.de") == "ada@xn--bcher-kva.de"
    assert ascii_form("ada@example.org") == "ada@example.org"
    assert ascii_form("zoë@bücher.de") == "zoë@xn--bcher-kva.de"  # the local part needs SMTPUTF8


_ATEXT = "abcxyzABCXYZ0129!#$%&'*+/=?^_`{|}~-."
_DOMAIN = "abcxyzABC0129-."


@settings(max_examples=1000, deadline=None)
@given(st.text(_ATEXT, min_size=0, max_size=70), st.text(_DOMAIN, min_size=0, max_size=40),
       st.sampled_from(["com", "de", "test", "local", "c0", "x-y", "localhost", "a"]))
def test_the_fast_path_accepts_only_what_email_validator_accepts(local: str, domain: str, tld: str) -> None:
    """The dispatcher skips importing email-validator for everyday addresses; that shortcut must
    never accept an address the library would refuse."""
    addr = f"{local}@{domain}.{tld}" if domain else f"{local}@{tld}"
    if _plain(addr):
        assert _library_accepts(addr), addr
    assert (problem(addr) is None) == _library_accepts(addr), addr
