"""jinja_scan: names, chains, loops, filters and unsafe constructs, found without rendering."""

from __future__ import annotations

import pytest

from mailgitops.checks.jinja_analysis import analyse, parse, skeleton, variables
from mailgitops.checks.jinja_scan import Context, environment, scan

ALL = Context(provided=frozenset({"order", "customer", "operator"}), triggers=("order_accepted",))


def codes(source: str, ctx: Context = ALL) -> list[tuple[int, str]]:
    return sorted((f.lineno, f.code) for f in scan(environment().parse(source), ctx))


@pytest.mark.parametrize(
    "source",
    [
        "{{ order.number }} {{ customer.name | upper }} {{ printroom.name }} {{ webshop.name }}",
        "{% for job in order.jobs %}{{ job.name }} {{ job.product.paper }} {{ loop.index }}{% endfor %}",
        "{% for j in order.jobs | sort(attribute='name') %}{{ j.copies }}{% endfor %}",
        "{% set n = order.jobs | length %}{{ n }} {{ order.price | money }}"
        " {{ order.due_date | date('long') }}",
        "{% if order.title is defined %}{{ order.title | default('-') }}{% endif %}",
        "{{ order.jobs[0].name }} {% with first = order.jobs[0] %}{{ first.product.name }}{% endwith %}",
        "{% set ns = namespace(total=0) %}{% for job in order.jobs %}"
        "{% set ns.total = ns.total + job.copies %}{% endfor %}{{ ns.total }}",
        "{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}",
        "{{ order.due_date | date('dd.MM.y') }} {{ order.submitted_at | datetime('dd.MM.y HH:mm') }}"
        " {{ order.submitted_at | datetime('HH:mm') }} {{ order.due_date | date(\"d 'Day' MMMM\") }}",
        "{% macro row(label, value) %}{{ label }}: {{ value }}{% endmacro %}{{ row('No.', order.number) }}",
    ],
)
def test_valid_templates_have_no_findings(source: str) -> None:
    assert codes(source) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ order.numbr }}", [(1, "unknown-variable")]),
        # valid patterns that print another date than they seem to (338.12.2026; minutes as month)
        ("{{ order.due_date | date('DD.MM.YYYY') }}", [(1, "date-format")]),
        ("{{ order.due_date | date(format='long') }}", [(1, "date-format")]),
        ("{{ order.due_date | date('d. MMMM YYYY') }}", [(1, "date-format")]),
        ("{{ order.submitted_at | datetime('dd.mm.yyyy HH:mm') }}", [(1, "date-format")]),
        # a loop over one value or a group of values: one error at the loop, none in its body
        ("{% for job in order.number %}\n{{ job.name }} {{ job.copies }}{% endfor %}",
         [(1, "loop-over-value")]),
        ("{% for c in customer %}{{ c.name }}{% endfor %}", [(1, "loop-over-value")]),
        ("{% for p in order.jobs[0].product %}{{ p.paper }}{% endfor %}", [(1, "loop-over-value")]),
        ("{% for job in order.jobs %}{% for x in job.copies %}{% endfor %}{% endfor %}",
         [(1, "loop-over-value")]),
        ("{{ ordr.number }}", [(1, "unknown-variable")]),
        ("\n{% for job in order.jobs %}{{ job.product.nme }}{% endfor %}", [(2, "unknown-variable")]),
        ("{{ job.name }}", [(1, "job-outside-loop")]),
        ("{% for job in order.jobs %}{% endfor %}{{ job.name }}", [(1, "job-outside-loop")]),
        ("{{ cost_centre.code }}", [(1, "variable-not-provided")]),
        ("{{ order.price | euro }}", [(1, "unknown-filter")]),
        ("{{ order.price | safe }}", [(1, "unsafe-template")]),
        ("{{ order.number is prime }}", [(1, "unknown-test")]),
        ("{{ loop.index }}", [(1, "unknown-variable")]),
        ("{% for job in order.jobs %}{{ loop.idx }}{% endfor %}", [(1, "unknown-variable")]),
        ("{{ order.number.upper() }}", [(1, "unknown-variable")]),
        ("{{ order.__class__ }}", [(1, "unsafe-template")]),  # once, as unsafe
        ("{{ order['_secret'] }}", [(1, "unsafe-template")]),
        ("{% import 'x' as m %}{{ m.row() }}", [(1, "unsafe-template")]),
        ("{{ ().__class__.mro() }}", [(1, "unsafe-template"), (1, "unsafe-template")]),
        ("{% include 'x' %}", [(1, "unsafe-template")]),
        ("{% from 'x' import y %}", [(1, "unsafe-template")]),
        ("{% extends 'x' %}", [(1, "unsafe-template")]),
        ("{{ range(10000000) | length }}", [(1, "unsafe-template")]),
        ("{{ 2 ** 64 }}", [(1, "unsafe-template")]),
        ("{{ 'ab' * 100000 }}", [(1, "unsafe-template")]),
        ("{{ 'ab' * 3 }}{% for i in range(1, 20000, 2) %}{% endfor %}", []),
        ("{% for i in range(0, 100000, 5) %}{% endfor %}", [(1, "unsafe-template")]),
        ("{{ cycler('a', 'b') }}", [(1, "unknown-variable")]),
        ("{% autoescape false %}{{ order.number }}{% endautoescape %}", [(1, "unsafe-template")]),
        ("{% set ns.total = 1 %}", [(1, "unknown-variable")]),
    ],
)
def test_problems_are_found_at_their_line(source: str, expected: list[tuple[int, str]]) -> None:
    assert codes(source) == expected


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("{{ order.due_date | date('meduim') }}", "`meduim` is no format's name: did you mean `medium`?"),
        ("{{ order.due_date | datetime('Long') }}", "`Long` is no format's name: did you mean `long`?"),
        ("{{ order.due_date | date('lang') }}", "`lang` is no format's name: did you mean `long`?"),
        ("{{ order.due_date | date('dd.MM.yyyy kl') }}", "`k` is a time-of-day field"),
        ("{{ order.due_date | date('d. MMMM J') }}", "`date('d. MMMM J')`: `J` is not a date field"),
        ("{{ order.due_date | date('HH:mm') }}", "`H` is a time-of-day field and a date has none"),
        ("{{ order.due_date | date(fmt='tiny') }}", "`date('tiny')`: `t` is not a date field"),
        ("{{ order.due_date | datetime('d MMMM, h:mm tt') }}", "`t` is not a datetime field"),
        ("{{ order.due_date | date(\"d 'of MMMM\") }}", "a quote (') is not closed"),
        ("{{ order.due_date | date('--') }}", "it has no date field"),
    ],
)
def test_a_date_format_that_would_print_garbage_is_found(source: str, why: str) -> None:
    """Babel prints any letter that is no field as it stands: `date('meduim')` would put
    "meduim"-shaped garbage in every customer's email. Named formats and patterns pass."""
    found = scan(environment().parse(source), ALL)
    assert [f.code for f in found] == ["date-format"]
    assert why in found[0].message
    assert "short, medium, long or full" in (found[0].hint or "")


@pytest.mark.parametrize("fmt", ["short", "full", "d MMMM y", "EEEE, d. MMMM y", "d 'de' MMMM 'de' y",
                                 "y-MM-dd"])
def test_date_formats_people_write_pass(fmt: str) -> None:
    both = f"{{{{ order.due_date | date({fmt!r}) }}}} {{{{ order.due_date | datetime({fmt!r}) }}}}"
    assert codes(both) == []
    assert codes("{{ order.due_date | datetime('d MMM y, HH:mm') }}") == []


def test_hints_name_the_fix() -> None:
    by_code = {f.code: f for f in scan(environment().parse(
        "{{ order.numbr }}{{ job.name }}{{ cost_centre.code }}{{ order.price | mony }}"), ALL)}
    assert by_code["unknown-variable"].hint == "did you mean `order.number`?"
    assert "{% for job in order.jobs %}" in (by_code["job-outside-loop"].hint or "")
    assert "`order_accepted` does not provide `cost_centre`" in by_code["variable-not-provided"].message
    assert by_code["unknown-filter"].hint == "did you mean `money`?"


def test_renamed_loop_variable_gets_its_own_did_you_mean() -> None:
    [finding] = scan(environment().parse("{% for j in order.jobs %}{{ j.nam }}{% endfor %}"), ALL)
    assert finding.hint == "did you mean `j.name`?"


def test_unknown_trigger_context_skips_the_namespace_check() -> None:
    assert codes("{{ cost_centre.code }}", Context(provided=None)) == []


def test_subject_refuses_multi_line_values_unless_replaced() -> None:
    subject = Context(provided=ALL.provided, subject=True)
    assert codes("Re: {{ order.comment }}", subject) == [(1, "subject-line-break")]
    assert codes("Re: {{ order.comment | replace('\\n', ' ') }}", subject) == []
    assert codes("Re: {{ order.comment }}") == []  # in the body it is fine


def test_parse_is_cached() -> None:
    assert parse("{{ order.number }}") is parse("{{ order.number }}")


def test_translations_share_one_skeleton_and_keep_their_own_lines() -> None:
    en = "Dear {{ customer.name }},\n\nyour order {{ order.numbr }}."
    de = "Guten Tag {{ customer.name }},\nIhr Auftrag {{ order.numbr }}."
    en_skel, de_skel = skeleton(en), skeleton(de)
    assert en_skel is not None
    assert de_skel is not None
    assert en_skel[0] == de_skel[0]
    for text, line in ((en, 3), (de, 2)):
        found = analyse(text, ALL)
        assert not isinstance(found, Exception)
        assert [(f.lineno, f.code) for f in found] == [(line, "unknown-variable")]


def test_a_split_jinja_would_not_make_falls_back_to_the_real_parse() -> None:
    found = analyse('{{ "}}" ~ order.numbr }}\n', ALL)
    assert not isinstance(found, Exception)
    assert [(f.lineno, f.code) for f in found] == [(1, "unknown-variable")]
    error = analyse("a\n{% for x in order.jobs %}", ALL)
    assert isinstance(error, Exception)
    assert error.lineno == 2
    assert skeleton("a {{ order.number }") is None  # an unclosed tag is left to Jinja


def test_variables_lists_the_dotted_names_a_source_reads() -> None:
    src = ("{{ order.number }}{% for job in order.jobs %}{{ job.product.name }}{% endfor %}"
           "{{ customer['name'] }}")
    assert variables(src) == {"order.number", "order.jobs", "job.product.name", "customer.name"}
    assert variables("{% if %}") is None  # a syntax error: nothing to compare translations by


# --- the static guarantee: a value the trigger does not require is printed only with a guard ---

GUARANTEED = Context(provided=frozenset({"order", "customer", "operator"}), triggers=("order_accepted",),
                     guaranteed=frozenset({"order.number", "customer.name", "job.name", "order.jobs"}))


@pytest.mark.parametrize("source", [
    "{{ order.number }} {{ customer.name }}",
    "{% if order.due_date %}Due {{ order.due_date | date }}{% endif %}",
    "{% if order.due_date is defined %}{{ order.due_date }}{% else %}-{% endif %}",
    "{{ order.due_date | default('soon') }}",
    "{{ order.due_date if order.due_date else 'soon' }}",
    "{% for job in order.jobs %}{{ job.name }}{% if job.price %} {{ job.price | money }}{% endif %}"
    "{% endfor %}",
    "{% if order.title and order.due_date %}{{ order.title }}: {{ order.due_date }}{% endif %}",
])
def test_guarded_or_required_values_pass(source: str) -> None:
    assert codes(source, GUARANTEED) == []


@pytest.mark.parametrize(("source", "name"), [
    ("Due {{ order.due_date | date }}", "order.due_date"),
    ("{% for job in order.jobs %}{{ job.price | money }}{% endfor %}", "job.price"),
    ("{% if order.title %}{{ order.title }} {{ order.due_date }}{% endif %}", "order.due_date"),
])
def test_an_unguarded_optional_value_is_an_error_at_its_use(source: str, name: str) -> None:
    [f] = scan(environment().parse(source), GUARANTEED)
    assert f.code == "optional-value-unguarded"
    assert f.needle == name
    assert f"{{% if {name} %}}" in (f.hint or "")


@pytest.mark.parametrize("source", [
    "{% if order.price > 1000 %}We will call you.{% endif %}",
    "{{ 'large' if order.jobs[0].copies >= 500 else 'small' }}",
    "{% if order.number and order.price < 10 %}x{% endif %}",
])
def test_comparing_a_value_that_may_be_missing_is_an_error(source: str) -> None:
    """An event without the price makes the `if` itself fail, so the whole email with it."""
    [f] = scan(environment().parse(source), GUARANTEED)
    assert f.code == "optional-value-unguarded"
    assert "comparing a missing value" in f.message
    assert " and " in (f.hint or "")


@pytest.mark.parametrize("source", [
    "{% if order.price and order.price > 1000 %}x{% endif %}",
    "{% if order.price is defined and order.price > 1000 %}x{% endif %}",
    "{% if order.price %}{% if order.price > 1000 %}x{% endif %}{% endif %}",
    "{% if (order.price or 0) > 1000 %}x{% endif %}",
    "{% if order.number == 'PO-1' %}x{% endif %}",  # equality with a missing value is just false
    "{% for job in order.jobs %}{% if loop.index > 1 %}, {% endif %}{% endfor %}",
])
def test_a_tested_or_defaulted_value_may_be_compared(source: str) -> None:
    assert codes(source, GUARANTEED) == []


def test_without_known_triggers_nothing_is_asked() -> None:
    assert codes("{{ order.due_date }}", ALL) == []


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ order.submitted_at }}", [(1, "unformatted-time")]),
    ("Sent:\n{{ order['submitted_at'] }}", [(2, "unformatted-time")]),
    ("{{ order.submitted_at | datetime }}", []),
    ("{{ order.submitted_at | datetime('long') }}", []),
    ("{{ order.submitted_at | date }}", []),
    ("{{ order.due_date }}", []),  # a date printed as it is names the same day everywhere
])
def test_a_time_printed_as_the_order_system_sent_it_is_warned_about(source: str,
                                                                    expected: list[tuple[int, str]]) -> None:
    """`{{ order.submitted_at }}` showed the customer 2026-11-20T09:30:00Z: UTC, in no language."""
    assert codes(source) == expected
