"""The sandbox: limits, StrictUndefined, Babel filters, and the values-as-tokens contract."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from mailgitops.errors import ExitCode, MailgitopsError, RenderLimitError, RenderTimeout
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.jinja_env import render_tokens


def render(source: str, lang: str = "en", **ctx: object) -> str:
    return render_tokens(lang, source, ctx).fill()


@pytest.mark.parametrize("source", [
    "{{ 2 ** 100000 }}",
    "{{ 'x' * 10000000 }}",
    "{{ [1] * 10000000 }}",
    "{% for i in range(100000000) %}{% endfor %}",
    "{{ ''.__class__.__mro__ }}",
])
def test_hostile_templates_are_refused(source: str) -> None:
    with pytest.raises((SecurityError, RenderLimitError, UndefinedError)):
        render(source)


def test_a_template_that_runs_too_long_is_stopped_by_steps_not_the_clock() -> None:
    """The cap is a count of steps: the same verdict on a busy machine and on an idle one."""
    with pytest.raises(RenderLimitError, match="more than 200,000 steps") as got:
        render("{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}")
    assert not isinstance(got.value, RenderTimeout)


@pytest.mark.parametrize("source", [
    "{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v ~ s.v %}{% endfor %}",
    "{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v + s.v %}{% endfor %}",
    "{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v|replace('x', 'xx') %}"
    "{% endfor %}",
    "{% set s = namespace(v='x') %}{% for i in range(40) %}{% set s.v = s.v.replace('x', 'xx') %}"
    "{% endfor %}",
])
def test_string_doubling_is_stopped_before_it_eats_memory(source: str) -> None:
    with pytest.raises(RenderLimitError, match="longer than 500,000 characters"):
        render(source)


def test_a_macro_that_calls_itself_forever_is_stopped() -> None:
    with pytest.raises((RenderLimitError, RecursionError)):
        render("{% macro m(n) %}{{ m(n + 1) }}{% endmacro %}{{ m(0) }}")


def test_format_cannot_reach_python_internals() -> None:
    with pytest.raises(SecurityError):
        render("{{ '{0.__class__}'.format(order) }}", order={})


def test_huge_output_is_stopped() -> None:
    with pytest.raises(RenderLimitError, match="more than"):
        render("{% for i in range(10000) %}{{ 'x' * 99999 }}{% endfor %}")


def test_a_missing_value_is_an_error_not_an_empty_string() -> None:
    with pytest.raises(UndefinedError, match="number"):
        render("Order {{ order.number }}", order={})


def test_values_are_tokens_until_filled() -> None:
    out = render_tokens("en", "Hi {{ name }}!", {"name": "<b>x</b>"})
    assert "<b>" not in out.text
    assert out.values == ("<b>x</b>",)
    assert out.fill() == "Hi <b>x</b>!"


def test_a_value_cannot_pose_as_a_token() -> None:
    out = render_tokens("en", "{{ a }}{{ b }}", {"a": "\ue0001\ue001", "b": "secret"})
    assert out.fill() == "1secret"


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "€1,284.50"), ("de", "1.284,50\xa0€"), ("fr", "1\u202f284,50\xa0€"), ("zh", "€1,284.50"),
])
def test_money_is_formatted_for_the_language(lang: str, expected: str) -> None:
    assert render("{{ order.price | money }}", lang, order={"price": 1284.5, "currency": "EUR"}) == expected


def test_dates_and_numbers_follow_the_language() -> None:
    assert render("{{ d | date('long') }}", "de", d="2026-12-04") == "4. Dezember 2026"
    assert render("{{ d | date }}", "en", d="2026-12-04") == "Dec 4, 2026"
    assert render("{{ n | number }}", "de", n=12345) == "12.345"
    assert "2026" in render("{{ t | datetime }}", "fr", t="2026-11-20T09:30:00Z")


@pytest.mark.parametrize(("lang", "expected"), [
    ("de", "20.11.2026, 09:30 UTC"), ("en", "Nov 20, 2026, 9:30\u202fAM UTC"),
    ("zh", "2026年11月20日 09:30 UTC"),
])
def test_a_datetime_is_to_the_minute_unless_a_format_asks_for_more(lang: str, expected: str) -> None:
    """A customer reads when the order arrived; "10:30:00" showed seconds nobody needs."""
    assert render("{{ t | datetime }}", lang, t="2026-11-20T09:30:00Z") == expected
    assert render("{{ t | datetime('medium') }}", lang, t="2026-11-20T09:30:00Z").count(":") == 2


def test_a_date_format_made_at_render_time_that_would_print_garbage_is_refused() -> None:
    """A format from a variable is checked when the email is rendered: refused with the reason,
    never "tin2026" in a customer's email."""
    assert render("{{ d | date(f) }}", "en", d="2026-12-04", f="d MMMM y") == "4 December 2026"
    with pytest.raises(ValueError, match=r"`date\('tiny'\)`: `t` is not a date field.*short, medium, long"):
        render("{{ d | date(f) }}", "en", d="2026-12-04", f="tiny")
    with pytest.raises(ValueError, match=r"`datetime\('lang'\)`: `lang` is no format's name: did you mean"):
        render("{{ d | datetime(f) }}", "en", d="2026-12-04T10:00:00+00:00", f="lang")


def test_a_macro_calling_itself_is_a_located_render_error(tmp_path: object) -> None:
    from mailgitops.errors import MailgitopsError
    from mailgitops.render.compiled import CompiledTemplate, CompiledTemplates, CompiledText
    from mailgitops.render.email import render_email

    body = "Hi\n{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}\n"
    text = CompiledText("S", "", body, "templates/t/en.md", 4)
    compiled = CompiledTemplates("en", ("en",), {"t": CompiledTemplate("t", "default", (), {"en": text})},
                                 {"default/ltr": "@@MG:content@@"}, {}, {}, {})
    with pytest.raises(MailgitopsError) as info:
        render_email(compiled, "t", "en", {})
    assert info.value.diagnostics[0].file == "templates/t/en.md"
    assert info.value.diagnostics[0].line == 5


def test_missing_optional_value_can_be_tested_but_not_printed() -> None:
    """Events leave optional fields out: `{% if %}` on one is false, printing one is an error."""
    assert render("{% if order.comment %}C{% endif %}ok", order={}) == "ok"
    with pytest.raises(UndefinedError, match="comment"):
        render("{{ order.comment }}", order={})


def test_a_machine_too_busy_to_finish_is_a_retry_not_a_refusal(monkeypatch: pytest.MonkeyPatch,
                                                              compiled: CompiledTemplates) -> None:
    """The clock is environmental: an event that runs out of it is retried (exit 75 / HTTP 503)."""
    from mailgitops.render import jinja_env
    from mailgitops.render.email import render_jinja

    monkeypatch.setattr(jinja_env, "MAX_RENDER_SECONDS", 0.0)
    ctx = {"order": {"number": "PO-1", "jobs": []}, "customer": {"name": "Ada"}}
    with pytest.raises(MailgitopsError) as got:
        render_jinja(compiled, "order-ready", "en", ctx)
    assert got.value.exit_code == ExitCode.TEMPORARY, got.value
