"""Issue 3 item 7: render lints in `validate` (warnings, located)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailgitops.checks import rendered as lint
from mailgitops.checks.source_lint import html_bound
from mailgitops.diagnostics import Diagnostic, Severity
from mailgitops.gitops.previews import write_previews
from mailgitops.model import Repo
from mailgitops.render.compiled import CompiledTemplates, compile_repo, compile_repo_diagnostics
from mailgitops.render.layout import direction
from mailgitops.render.preview import default_sample, preview
from mailgitops.repo import load_repo
from mailgitops.validate import validate_repo


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_shipped_repository_has_no_render_warnings() -> None:
    root = Path(__file__).resolve().parents[3]
    codes = {d.code for d in validate_repo(root).diagnostics}
    assert not codes & {"html-too-large", "image-without-alt", "insecure-link", "translation-variables"}


def test_lints_are_located_warnings(repo_copy: Path) -> None:
    de = repo_copy / "templates/order-accepted/de.md"
    _append(de, "\n![](https://cdn.example.com/x.png)\n\n[alt](http://example.com/plain)\n\n"
                "{% if customer.company %}{{ customer.company }}{% endif %}\n")
    fr = repo_copy / "templates/order-ready/fr.md"
    _append(fr, "\n" + "Un très long texte. " * 6000 + "\n")
    result = validate_repo(repo_copy)
    found = {(d.file, d.code): d for d in result.diagnostics}
    alt = found["templates/order-accepted/de.md", "image-without-alt"]
    assert alt.severity is Severity.WARNING
    assert de.read_text(encoding="utf-8").split("\n")[alt.line - 1].startswith("![](https://cdn")
    link = found["templates/order-accepted/de.md", "insecure-link"]
    assert "http://example.com/plain" in de.read_text(encoding="utf-8").split("\n")[link.line - 1]
    drift = found["templates/order-accepted/de.md", "translation-variables"]
    assert "customer.company" in drift.message
    assert found["templates/order-ready/fr.md", "html-too-large"].severity is Severity.WARNING
    assert result.exit_code() == 0
    assert result.exit_code(strict=True) == 1


def _line(path: Path, n: int) -> str:
    return path.read_text(encoding="utf-8").split("\n")[n - 1]


def _warnings(root: Path, code: str) -> list[Diagnostic]:
    return [d for d in validate_repo(root).diagnostics if d.code == code]


def _beyond_example_addresses(root: Path) -> list[Diagnostic]:
    """validate's findings besides the example addresses the shipped settings keep on purpose."""
    return [d for d in validate_repo(root).diagnostics if d.code not in ("example-address", "example-link")]


def test_the_shipped_repository_gets_no_warning_at_all() -> None:
    root = Path(__file__).resolve().parents[3]
    assert _beyond_example_addresses(root) == []


def test_an_http_link_is_reported_at_its_line_and_column(repo_copy: Path) -> None:
    en = repo_copy / "templates/order-ready/en.md"
    _append(en, "\n{% if order.comment %}\nSee [our hours](http://print.example.com/hours) today.\n"
                "{% endif %}\n")
    [d] = _warnings(repo_copy, "insecure-link")
    assert (d.file, d.severity) == ("templates/order-ready/en.md", Severity.WARNING)
    assert _line(en, d.line)[d.col - 1:].startswith("http://print.example.com/hours)")
    assert "http://print.example.com/hours" in d.message


def test_a_variable_link_target_is_judged_by_its_value(repo_copy: Path) -> None:
    # `{{ order.url }}` is made from workflow.yaml `order_url` (https by schema): never reported;
    # `{{ delivery.tracking_url }}` comes from the order system: the preview's sample value decides
    assert _warnings(repo_copy, "insecure-link") == []
    sample = repo_copy / "config/samples/flyers.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace(
        'tracking_url: "https://track', 'tracking_url: "http://track'), encoding="utf-8")
    found = _warnings(repo_copy, "insecure-link")
    assert found
    assert {d.file for d in found} <= {f"templates/order-dispatched/{lang}.md"
                                      for lang in ("en", "de", "fr", "nl", "zh")}
    en = next(d for d in found if d.file.endswith("/en.md"))
    assert _line(repo_copy / en.file, en.line)[en.col - 1:].startswith("{{ delivery.tracking_url }}")


def test_an_image_without_alt_text_is_reported_at_its_line(repo_copy: Path) -> None:
    nl = repo_copy / "templates/quotation/nl.md"
    _append(nl, "\nZie ![ ](https://cdn.example.com/map.png) en ![kaart](https://cdn.example.com/k.png)\n")
    [d] = _warnings(repo_copy, "image-without-alt")
    assert d.file == "templates/quotation/nl.md"
    assert _line(nl, d.line)[d.col - 1:].startswith("![ ](https://cdn.example.com/map.png)")


def test_links_in_code_are_not_links(repo_copy: Path) -> None:
    _append(repo_copy / "templates/quotation/en.md",
            "\n```\n[old](http://example.com)\n```\n\n`![](x.png)` is how an image is written\n")
    assert not _warnings(repo_copy, "insecure-link") + _warnings(repo_copy, "image-without-alt")


def test_a_translation_with_an_extra_variable(repo_copy: Path) -> None:
    _append(repo_copy / "templates/price-approved/fr.md", "\nTéléphone : {{ customer.phone }}\n")
    [d] = _warnings(repo_copy, "translation-variables")
    assert d.file == "templates/price-approved/fr.md"
    assert "uses customer.phone" in d.message
    assert "en.md" in d.message


def test_the_logo_and_the_layout_are_read_once_each(repo_copy: Path) -> None:
    theme = repo_copy / "templates/_layouts/theme.yaml"
    theme.write_text(theme.read_text(encoding="utf-8").replace("logo_alt: Print Room", 'logo_alt: ""'),
                     encoding="utf-8")
    layout = repo_copy / "templates/_layouts/default.mjml"
    layout.write_text(layout.read_text(encoding="utf-8").replace(
        "{{ slot.footer }}", '{{ slot.footer }} <a href="http://example.com/imprint">Imprint</a>'),
        encoding="utf-8")
    [logo] = _warnings(repo_copy, "image-without-alt")
    assert logo.file == "templates/_layouts/theme.yaml"
    assert _line(theme, logo.line).startswith("logo_alt:")
    [link] = _warnings(repo_copy, "insecure-link")
    assert link.file == "templates/_layouts/default.mjml"
    assert _line(layout, link.line)[link.col - 1:].startswith("http://example.com/imprint")


def test_unknown_layout_is_reported_once_at_the_yaml_value(repo_copy: Path) -> None:
    tpl = repo_copy / "templates/order-accepted/template.yaml"
    tpl.write_text(tpl.read_text(encoding="utf-8") + "layout: fancy\n", encoding="utf-8")
    found = [d for d in validate_repo(repo_copy).diagnostics if d.code == "unknown-layout"]
    assert len(found) == 1
    assert found[0].line > 1


def test_texts_far_below_the_gmail_clip_are_not_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_render(*args: object) -> None:
        raise AssertionError("rendered although the bound is far below the clip")

    monkeypatch.setattr(lint, "preview", no_render)
    assert _beyond_example_addresses(Path(__file__).resolve().parents[3]) == []


def test_the_size_bound_is_an_upper_bound(shipped_repo: Repo, compiled: CompiledTemplates,
                                          repo_copy: Path) -> None:
    markup = ("# \n\n> \n\n| a | b |\n|---|---|\n| `c` | [d](https://x) |\n\n- - - *e*\n\n***\n\n"
              "![f](https://img.example/f.png) & < {{ customer.name }}\n")
    _append(repo_copy / "templates/order-ready/de.md", "\n" + markup * 40)
    for repo in (shipped_repo, load_repo(repo_copy).repo):
        built = compile_repo(repo) if repo is not shipped_repo else compiled
        previews = lint._Previews(repo)
        for tid, t in repo.templates.items():
            for lang, x in t.texts.items():  # each language's own preview, as render makes it
                _ctx, items, value_bytes = previews.get(tid, lang)
                html = preview(repo, built, tid, lang, default_sample(repo, tid, lang)).email.html
                shell = built.shell(t.layout, direction(lang))
                assert len(shell.encode()) + html_bound(x.body, items, value_bytes) >= len(html.encode())


def test_render_lists_the_same_lints_for_each_email(repo_copy: Path, tmp_path: Path) -> None:
    _append(repo_copy / "templates/order-ready/en.md", "\n[hours](http://print.example.com/hours)\n")
    repo = load_repo(repo_copy).repo
    result = write_previews(repo, compile_repo(repo), tmp_path / "out", templates=["order-ready"])
    by_lang = {e.lang: e.warnings for e in result.entries}
    assert "link http://print.example.com/hours is not https" in by_lang["en"]
    assert not any("is not https" in w for w in by_lang["de"])


@pytest.mark.parametrize("body", [
    "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}\n",
    "{% if x %}" * 3000 + "{% endif %}" * 3000 + "\n",
])
def test_a_template_nested_too_deeply_is_located_not_raised(repo_copy: Path, body: str) -> None:
    (repo_copy / "templates/quotation/de.md").write_text("---\nsubject: x\n---\n" + body, encoding="utf-8")
    result = validate_repo(repo_copy)  # render lints included: the broken text is left to the checks
    where = [(d.file, d.line, d.code) for d in result.errors]
    assert where == [("templates/quotation/de.md", 4, "jinja-syntax")]
    compiled, diags = compile_repo_diagnostics(load_repo(repo_copy).repo)  # what render and bundle run
    assert compiled is None
    assert [(d.file, d.line, d.code) for d in diags] == [("templates/quotation/de.md", 4, "template-syntax")]
