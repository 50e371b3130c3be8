"""Markdown parsed when the bundle is built: the same emails as parsing at send time, a cold
`dispatch` of a sample-shaped event without markdown-it, and nothing wrong from a foreign table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailgitops.model import Repo
from mailgitops.render import markdown, preparsed
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import RenderedEmail, render_email
from support.colddispatch import cold_dispatch
from support.smtpd import SmtpServer
from unit.render.render_helpers import flyers_context


@pytest.fixture
def table(shipped_repo: Repo, compiled: CompiledTemplates) -> Iterator[dict[str, Any]]:
    made = preparsed.collect(shipped_repo, compiled)
    yield made
    preparsed.use(None)


def _all(shipped_repo: Repo, compiled: CompiledTemplates, **overrides: Any) -> list[RenderedEmail]:
    ctx = flyers_context(shipped_repo, **overrides)
    return [render_email(compiled, tid, lang, ctx) for tid in sorted(compiled.templates)
            for lang in compiled.active_langs if tid != "export-completed"]


def _parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = markdown._parse

    def counting(text: str, theme_json: str, rtl: bool) -> markdown.Structure:
        calls.append(text)
        return real(text, theme_json, rtl)

    monkeypatch.setattr(markdown, "_parse", counting)
    # neither this process's memory nor the per-user disk cache (which an earlier test's dispatch,
    # run in this process or not, may have filled) may answer for the table
    monkeypatch.setenv("MAILGITOPS_NO_CACHE", "1")
    markdown._structure.cache_clear()
    return calls


def test_shipped_structures_give_the_same_emails(shipped_repo: Repo, compiled: CompiledTemplates,
                                                 table: dict[str, Any],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    preparsed.use(None)
    parsed_here = _all(shipped_repo, compiled)
    assert preparsed.use(table) == len(table["entries"]) > 50
    calls = _parses(monkeypatch)
    shipped = _all(shipped_repo, compiled)
    assert shipped == parsed_here  # subject, HTML, text, warnings: byte for byte
    assert calls == []  # every body of the sample's shape came from the table


def test_another_shape_is_parsed_at_send_time(shipped_repo: Repo, compiled: CompiledTemplates,
                                              table: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven jobs: no sample has that many, so the body is parsed here, and right."""
    jobs = shipped_repo.samples["flyers"].data["order"]["jobs"]
    order = {"jobs": [jobs[0]] * 7, "comment": "Please call first"}
    preparsed.use(None)
    expected = render_email(compiled, "order-received", "en", flyers_context(shipped_repo, order=order))
    preparsed.use(table)
    calls = _parses(monkeypatch)
    got = render_email(compiled, "order-received", "en", flyers_context(shipped_repo, order=order))
    assert got == expected
    assert len(calls) == 1
    assert sum(1 for line in got.text.splitlines() if line.startswith("- ") and "\u00d7" in line) == 7


def test_a_table_from_other_code_is_ignored(table: dict[str, Any]) -> None:
    assert preparsed.use({**table, "code": "0" * 64}) == 0
    assert markdown._PREPARSED == {}


def test_a_damaged_entry_is_parsed_instead(shipped_repo: Repo, compiled: CompiledTemplates,
                                           table: dict[str, Any]) -> None:
    preparsed.use(None)
    expected = _all(shipped_repo, compiled)
    bad = {"code": table["code"], "entries": {k: "bm90IHpsaWI=" for k in table["entries"]}}  # "not zlib"
    assert preparsed.use(bad) == len(table["entries"])
    assert _all(shipped_repo, compiled) == expected


def test_cold_dispatch_of_a_sample_event_imports_no_markdown_parser(tmp_path: Path, sink: SmtpServer) -> None:
    """The order system starts `dispatch` once per event: a sample-shaped one needs no parser."""
    probe = ("import atexit\natexit.register(lambda: sys.stderr.write("
             "'PARSER=%s' % any(m.startswith('markdown_it') for m in sys.modules)))")
    proc = cold_dispatch(tmp_path, sink.port, probe, "cold-1")
    assert "PARSER=False" in proc.stderr
    assert len(sink.wait_for(1)) == 1
