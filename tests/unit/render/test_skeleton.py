"""Texts compiled once per skeleton (render/skeleton.py) behave exactly as Jinja compiling each alone,
and `render` compiles every text once: none again while the emails are rendered."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import pytest
from jinja2 import TemplateSyntaxError

from mailgitops.gitops.previews import write_previews
from mailgitops.render import skeleton
from mailgitops.render.compiled import compile_repo_diagnostics
from mailgitops.render.jinja_env import environment, forget_precompiled, render_tokens
from mailgitops.repo import load_repo

ROOT = Path(__file__).resolve().parents[3]
CTX = {"order": {"number": "A-17", "title": "Flyer", "jobs": [{"name": "a"}, {"name": "b"}]},
       "customer": {"name": "Ada"}, "n": 1234}


def _output(code: Any, lang: str) -> str:
    env = environment(lang)
    return "".join(env.template_class.from_code(env, code, env.make_globals(None), None).generate(dict(CTX)))


def _both(source: str, lang: str = "en") -> tuple[str, str]:
    return _output(environment(lang).compile(source), lang), \
        _output(skeleton.compile_text(lang, environment(lang), source), lang)


# translations: the same tags on the same lines, words of their own (quotes, backslashes, line breaks)
SHARED = [
    "Dear {{ customer.name }},\n\n{% for j in order.jobs %}- {{ j.name }}\n{% endfor %}Thanks!\n",
    "Hallo {{ customer.name }},\n\n{% for j in order.jobs %}* {{ j.name }} \\ 'x'\n{% endfor %}Danke \"!\n",
    "Cher {{ customer.name }},\n\n{% for j in order.jobs %}• {{ j.name }}\n{% endfor %}Merci\u00a0!\n",
]


@pytest.mark.parametrize("source", SHARED)
def test_texts_sharing_a_skeleton_print_their_own_words(source: str) -> None:
    skeleton.forget()
    for other in SHARED:  # the skeleton is made by another text first
        skeleton.compile_text("en", environment("en"), other)
    jinja, ours = _both(source)
    assert ours == jinja
    assert ours.endswith(source.rsplit("%}", maxsplit=1)[1])  # its own closing words


@pytest.mark.parametrize("source", [
    "{% set s %}four{% endset %}{{ s | length }}",  # captured words: measured, not printed
    "{% filter upper %}shout {{ customer.name }}{% endfilter %}",
    "{% macro m() %}inside{% endmacro %}{{ m() | length }}",
    "{{ '%c%s:0%c' % (57349, 'x', 57350) }} and words",  # a constant shaped like a placeholder
    "{{ n | number }} {{ 1234 | number }}",
    "{% raw %}{{ not a tag }}{% endraw %} {{ order.number }}",
    "  {%- if order.title %}\n  {{ order.title -}}  \n{% endif %}\r\nend",
    "",
])
def test_every_kind_of_text_prints_what_jinja_prints(source: str) -> None:
    for lang in ("en", "de"):
        jinja, ours = _both(source, lang)
        assert ours == jinja


def test_a_constant_filtered_while_compiling_is_per_language() -> None:
    """Jinja computes `{{ 1234 | number }}` while compiling: the same source is not the same code."""
    assert _both("{{ 1234 | number }}", "en")[1] == "1,234"
    assert _both("{{ 1234 | number }}", "de")[1] == "1.234"


@pytest.mark.parametrize("source", ["{% for x in y %}", "{{ x | nofilter }}", "{% if %}", "{{ x }"])
def test_a_broken_text_raises_what_jinja_raises(source: str) -> None:
    with pytest.raises(TemplateSyntaxError) as jinja:
        environment("en").compile(source)
    with pytest.raises(TemplateSyntaxError) as ours:
        skeleton.compile_text("en", environment("en"), source)
    assert (ours.value.message, ours.value.lineno) == (jinja.value.message, jinja.value.lineno)


def test_a_runtime_error_names_the_template_line() -> None:
    source = "line one {{ customer.name }}\nline two\n{{ order.missing.deeper }}\n"
    with pytest.raises(jinja2.UndefinedError):
        render_tokens("en", source, CTX)
    code = skeleton.compile_text("en", environment("en"), source)
    env = environment("en")
    with pytest.raises(jinja2.UndefinedError) as got:
        "".join(env.template_class.from_code(env, code, env.make_globals(None), None).generate(dict(CTX)))
    from mailgitops.render.jinja_env import template_line

    assert template_line(got.value) == 3


def _count_code_generations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time Jinja generates Python code for a template."""
    generated: list[int] = []
    real = jinja2.Environment._generate

    def counting(self: jinja2.Environment, *args: Any, **kwargs: Any) -> str:
        generated.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "_generate", counting)
    return generated


def test_render_compiles_each_text_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking the templates compiles them; rendering every email compiles nothing again, however
    many texts there are (no cache to outgrow)."""
    forget_precompiled()
    repo = load_repo(ROOT).repo
    generated = _count_code_generations(monkeypatch)
    try:
        compiled, diags = compile_repo_diagnostics(repo, keep_code=True)
        assert compiled is not None
        assert not [d for d in diags if d.severity == "error"]
        texts = sum(3 * len(t.texts) for t in repo.templates.values())
        checked = len(generated)
        assert 0 < checked < texts, "translations with the same tags share one code generation"
        result = write_previews(repo, compiled, tmp_path / "out")
        assert len(result.entries) == len(repo.templates) * len(repo.languages.active)
        assert len(generated) == checked, "no text is compiled twice"
    finally:
        forget_precompiled()


@pytest.mark.parametrize("disk_cache", [True, False])
def test_the_dispatcher_compiles_texts_with_the_same_tags_once(tmp_path: Path, disk_cache: bool,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """A dispatcher compiles each text at its first email: texts with the same tags on the same
    lines share one code generation, and each prints its own words."""
    from mailgitops.render import diskcache
    from mailgitops.render.jinja_env import compile_source

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    if not disk_cache:
        monkeypatch.setenv("MAILGITOPS_NO_CACHE", "1")
    diskcache.enable()
    forget_precompiled()
    generated = _count_code_generations(monkeypatch)
    try:
        outputs = [render_tokens("en", text, CTX).fill() for text in SHARED]
        assert len(generated) == 1
        assert outputs == [_both(text)[0] for text in SHARED]  # Jinja's own compile of each, same output
        assert compile_source.cache_info().currsize == len(SHARED)
    finally:
        forget_precompiled()
        diskcache.enable(False)
