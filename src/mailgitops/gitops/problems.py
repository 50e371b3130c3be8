"""validate's problems as Markdown, for a pull request's comment and its run's summary.

An annotation sits on the changed line under *Files changed*; a reviewer reading the comment
(or a fork's run page, where there is no comment) saw only 'no preview'. The same lines as
`validate` prints them go in a code block: a message quotes what the admin wrote, which must
show literally and cannot close the block."""

from __future__ import annotations

from collections.abc import Sequence

from mailgitops.diagnostics import Diagnostic, Severity, format_text


def _fence(lines: Sequence[str]) -> str:
    longest = 0
    for line in lines:
        run = 0
        for ch in line:
            run = run + 1 if ch == "`" else 0
            longest = max(longest, run)
    return "`" * max(3, longest + 1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def format_markdown(diags: Sequence[Diagnostic]) -> str:
    """Nothing when there is no problem; else a headline that says whether the pull request is
    stopped, then each problem as `path:line:col: severity: message [code]`, errors first;
    warnings alone are folded under their count."""
    if not diags:
        return ""
    errors = sum(d.severity is Severity.ERROR for d in diags)
    ordered = sorted(diags, key=lambda d: d.severity is not Severity.ERROR)  # stable: keeps file order
    lines = format_text(ordered).splitlines()[:-1]  # without the "N error(s)" count line
    fence = _fence(lines)
    if errors:
        warnings = len(diags) - errors
        also = f" and {_count(warnings, 'warning')}" if warnings else ""
        head = (f"**No preview: validate found {_count(errors, 'error')}**{also}. "
                f"Fix {'it' if len(diags) == 1 else 'each'} in the file and at the line named "
                "(also marked under *Files changed*), "
                "then push again; the changed emails are shown here once it passes.")
        return "\n".join([head, "", f"{fence}text", *lines, fence, ""])
    # Folded: warnings left standing for months (an example address) would be the loudest part
    # of every pull request's comment.
    head = (f"<b>validate warns ({_count(len(diags), 'warning')})</b>; they do not stop this pull "
            "request, the emails are rendered as they are.")
    return "\n".join([f"<details><summary>{head}</summary>", "", f"{fence}text", *lines, fence, "",
                      "</details>", ""])
