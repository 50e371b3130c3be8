"""`render` reads the layout's part before the email's text once per layout, not once per email
(checks/html_lint.py): the warnings it lists are exactly those of reading each email whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks.html_lint import _head, email_findings
from mailgitops.render.compiled import compile_repo
from mailgitops.render.layout import direction
from mailgitops.render.preview import default_sample, preview
from mailgitops.repo import load_repo

HEAD_PROBLEMS = ('<mj-image src="https://cdn.example.com/head.png" alt="" />'
                 '<mj-text><a href="http://example.com/head">head</a></mj-text>')
TAIL_PROBLEMS = '<mj-text><a href="http://example.com/tail">tail</a><img src="https://x.example/t.png"></mj-text>'
TEXT_PROBLEMS = "\n![](https://cdn.example.com/body.png)\n\n[plain](http://example.com/body)\n"


def _findings(root: Path) -> list[tuple[list[str], list[str], bool]]:
    """(read whole, read with the shell, whether the shell's head was used) for every email."""
    repo = load_repo(root).repo
    compiled = compile_repo(repo)
    out = []
    for tid in ("order-accepted", "quotation"):
        for lang in repo.languages.active:
            p = preview(repo, compiled, tid, lang, default_sample(repo, tid, lang))
            shell = compiled.shell(compiled.templates[tid].layout, direction(p.email.lang))
            whole = [f.message for f in email_findings(p.email.html, compiled.theme)]
            fast = [f.message for f in email_findings(p.email.html, compiled.theme, shell=shell,
                                                      lang=p.email.lang, subject=p.email.subject,
                                                      preheader=p.email.preheader)]
            out.append((whole, fast, _head(shell) is not None))
    return out


def _edit(root: Path, head: str, tail: str) -> None:
    layout = root / "templates/_layouts/default.mjml"
    text = layout.read_text(encoding="utf-8")
    text = text.replace("<mj-text>{{ slot.content }}</mj-text>",
                        f"{head}<mj-text>{{{{ slot.content }}}}</mj-text>{tail}")
    layout.write_text(text, encoding="utf-8")
    for lang in ("en", "de", "ar"):
        md = root / f"templates/order-accepted/{lang}.md"
        if md.exists():
            md.write_text(md.read_text(encoding="utf-8") + TEXT_PROBLEMS, encoding="utf-8")


def test_the_same_warnings_in_the_same_order(repo_copy: Path) -> None:
    _edit(repo_copy, HEAD_PROBLEMS, TAIL_PROBLEMS)
    results = _findings(repo_copy)
    for whole, fast, used in results:
        assert fast == whole
        assert used, "the layout's head is read once, not per email"
    flagged = [whole for whole, _, _ in results if any("body.png" in m for m in whole)]
    assert flagged, "the texts' own image is found"
    assert [m.split(" ")[1] for m in flagged[0] if m.startswith(("image", "link"))] == [  # in page order
        "https://cdn.example.com/head.png", "https://cdn.example.com/body.png", "https://x.example/t.png",
        "http://example.com/head", "http://example.com/body", "http://example.com/tail"]


def test_a_layout_with_a_slot_in_a_link_is_read_whole(repo_copy: Path) -> None:
    _edit(repo_copy, '<mj-text><a href="http://example.com/{{ slot.lang }}">by language</a></mj-text>', "")
    results = _findings(repo_copy)
    for whole, fast, used in results:
        assert fast == whole
        assert not used
    assert any("http://example.com/en" in m for whole, _, _ in results for m in whole)


@pytest.mark.parametrize("shell", [
    '<html><body><!-- @@MG:content@@ --><a href="http://x.example/">x</a></body></html>',
    '<html><body><script>var a = "@@MG:content@@";</script><a href="http://x.example/">x</a></body></html>',
    '<html><body><a href="http://x.example/" title="@@MG:content@@">x</a></body></html>',
    '<html><body>@@MG:footer@@ @@MG:content@@ <img src="https://x.example/i.png"></body></html>',
])
def test_a_shell_where_the_text_does_not_start_between_tags_is_read_whole(shell: str) -> None:
    assert _head(shell) is None
    html = shell.replace("@@MG:content@@", '<img src="https://y.example/c.png">').replace("@@MG:footer@@", "")
    whole = [f.message for f in email_findings(html, {})]
    assert [f.message for f in email_findings(html, {}, shell=shell)] == whole
