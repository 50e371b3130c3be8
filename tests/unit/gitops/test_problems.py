"""validate's problems as the pull-request comment shows them (`validate --format markdown`)."""

from __future__ import annotations

from mailgitops.diagnostics import error, warning
from mailgitops.gitops.problems import format_markdown


def test_no_problem_writes_nothing() -> None:
    assert format_markdown([]) == ""


def test_errors_stop_the_preview_and_come_first_with_file_and_line() -> None:
    md = format_markdown([
        warning("config/workflow.yaml", 57, 20, "audience-mismatch", "sent to the operator"),
        error("templates/order-accepted/de.md", 7, 59, "unknown-variable", "unknown variable `order.numbr`",
              hint="did you mean `order.number`?"),
        error("templates/quotation/en.md", 2, 1, "bad-subject", "the subject is empty"),
    ])
    lines = md.splitlines()
    assert lines[0].startswith("**No preview: validate found 2 errors** and 1 warning. Fix each in the file")
    assert lines[2] == "```text"
    assert lines[3:6] == [
        "templates/order-accepted/de.md:7:59: error: unknown variable `order.numbr` "
        "(did you mean `order.number`?) [unknown-variable]",
        "templates/quotation/en.md:2:1: error: the subject is empty [bad-subject]",
        "config/workflow.yaml:57:20: warning: sent to the operator [audience-mismatch]",
    ]
    assert lines[6] == "```"


def test_warnings_alone_do_not_claim_the_pull_request_stopped() -> None:
    md = format_markdown([warning("config/theme.yaml", 3, 1, "footer-language", "no nl footer")])
    assert md.startswith("<details><summary><b>validate warns (1 warning)</b>; they do not stop this pull "
                         "request")
    assert md.rstrip().endswith("</details>")
    assert "No preview" not in md


def test_a_message_quoting_backticks_cannot_close_the_block() -> None:
    md = format_markdown([error("templates/x/en.md", 1, 1, "odd", "text ```` then **bold**")])
    assert "`````text" in md
    assert md.rstrip().endswith("`````")
