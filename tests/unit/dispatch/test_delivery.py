"""The delivery mode's parsing and the redirect banner."""

from __future__ import annotations

import pytest

from mailgitops.dispatch.delivery import (
    DeliveryMode,
    Original,
    envelope_allowed,
    parse,
    resolve,
    with_banner,
)
from mailgitops.errors import ExitCode, UsageError
from mailgitops.render.email import RenderedEmail


def test_parse() -> None:
    assert parse("production", "X") == DeliveryMode(None)
    assert parse(" redirect: qa@example.com ", "X") == DeliveryMode("qa@example.com")
    assert str(DeliveryMode("qa@example.com")) == "redirect:qa@example.com"


@pytest.mark.parametrize("value", ["", "   "])
def test_unset_is_refused_not_defaulted(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MAILGITOPS_DELIVERY", value)
    with pytest.raises(UsageError) as e:
        resolve()
    assert e.value.exit_code == ExitCode.USAGE
    assert "MAILGITOPS_DELIVERY" in str(e.value)
    assert resolve("production") == DeliveryMode(None)  # the flag alone is enough


def test_banner_goes_first_in_both_parts_and_escapes() -> None:
    email = RenderedEmail("t", "en", "S", "", '<html><body style="x"><p>Hi</p></body></html>', "Hi", (), ())
    original = Original(((None, "a@example.org"), ("<b>Eve</b>", "e@example.org")), ("c@example.com",), ())
    out = with_banner(email, DeliveryMode("qa@example.com"), original)
    assert out.text.startswith("*** Redirected by mailgitops (redirect:qa@example.com)")
    assert out.text.endswith("\n\nHi")
    assert out.html.startswith('<html><body style="x"><div')
    assert "&lt;b&gt;Eve&lt;/b&gt;" in out.html
    assert original.headers() == [("X-Original-To", "a@example.org, e@example.org"),
                                  ("X-Original-Cc", "c@example.com")]


def test_envelope_allowed() -> None:
    assert envelope_allowed(DeliveryMode(None), ["a@example.org"])
    assert envelope_allowed(DeliveryMode("qa@example.com"), ["QA@example.com"])
    assert not envelope_allowed(DeliveryMode("qa@example.com"), ["qa@example.com", "a@example.org"])
