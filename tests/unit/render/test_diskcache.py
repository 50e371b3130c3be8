"""The dispatcher's cache of compiled Jinja and parsed Markdown: same bytes as without it, never
stale, and never in the way when its folder is unusable."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailgitops.model import Repo
from mailgitops.render import diskcache, jinja_env, markdown
from mailgitops.render.compiled import CompiledTemplates
from mailgitops.render.email import render_email
from unit.render.render_helpers import flyers_context


def _forget_in_process() -> None:
    """What a new process would start with: nothing compiled or parsed in memory."""
    jinja_env.compile_source.cache_clear()
    markdown._structure.cache_clear()
    diskcache._safe_dir.cache_clear()
    # a Dispatcher made earlier in this worker leaves its bundle's parsed Markdown in use
    markdown._PREPARSED.clear()


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("MAILGITOPS_NO_CACHE", raising=False)
    _forget_in_process()
    diskcache.enable()
    yield tmp_path / "xdg" / "mailgitops"
    diskcache.enable(False)
    _forget_in_process()


def _render(shipped_repo: Repo, compiled: CompiledTemplates, lang: str = "de") -> tuple[str, str, str]:
    email = render_email(compiled, "order-accepted", lang, flyers_context(shipped_repo))
    return email.subject, email.html, email.text


def test_off_unless_the_dispatcher_turns_it_on(tmp_path: Path) -> None:
    """A fresh process that renders without a Dispatcher (validate, bundle, previews) keeps nothing."""
    code = ("from mailgitops.render import diskcache, jinja_env\n"
            "jinja_env.compile_source('en', 'Hello {{ name }}')\n"
            "print(diskcache.directory('jinja'))")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "None"
    assert not (tmp_path / "mailgitops").exists()


def test_cached_output_is_the_same_bytes(shipped_repo: Repo, compiled: CompiledTemplates,
                                         cache_home: Path) -> None:
    diskcache.enable(False)
    plain = _render(shipped_repo, compiled)
    _forget_in_process()
    diskcache.enable()
    first = _render(shipped_repo, compiled)  # compiles, parses and stores
    assert list((cache_home / "jinja").iterdir())
    assert list((cache_home / "markdown").iterdir())
    assert (cache_home / "jinja").stat().st_mode & 0o777 == 0o700
    _forget_in_process()
    second = _render(shipped_repo, compiled)  # everything from disk
    assert plain == first == second


def test_a_new_source_or_a_new_compiler_is_a_miss(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert jinja_env.compile_source("en", "Hello {{ name }}").render(name="A") == "Hello A"
    _forget_in_process()
    assert jinja_env.compile_source("en", "Bye {{ name }}").render(name="A") == "Bye A"
    assert len(list((cache_home / "jinja").iterdir())) == 2  # one entry per source
    # another Jinja (or another jinja_env.py) makes other keys: the old entries are not used
    monkeypatch.setattr(jinja_env, "_compiler_fingerprint", lambda: "another-jinja")
    _forget_in_process()
    assert jinja_env.compile_source("en", "Bye {{ name }}").render(name="A") == "Bye A"
    assert len(list((cache_home / "jinja").iterdir())) == 3


def test_corrupt_or_foreign_entries_are_misses(shipped_repo: Repo, compiled: CompiledTemplates,
                                               cache_home: Path) -> None:
    expected = _render(shipped_repo, compiled)
    for entry in (*(cache_home / "jinja").iterdir(), *(cache_home / "markdown").iterdir()):
        entry.write_bytes(b"\x00garbage" if entry.suffix == ".jinja" else b'["<script>", 1]')
    _forget_in_process()
    assert _render(shipped_repo, compiled) == expected


@pytest.mark.parametrize("problem", ["a file", "writable by others"])
def test_an_unusable_folder_is_not_used(shipped_repo: Repo, compiled: CompiledTemplates, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch, problem: str) -> None:
    diskcache.enable(False)
    expected = _render(shipped_repo, compiled)
    home = tmp_path / "xdg"
    if problem == "a file":
        home.write_text("not a folder")
    else:
        (home / "mailgitops" / "jinja").mkdir(parents=True)
        os.chmod(home / "mailgitops" / "jinja", 0o777)  # the unsafe folder under test
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    _forget_in_process()
    diskcache.enable()
    try:
        assert diskcache.directory("jinja") is None
        assert _render(shipped_repo, compiled) == expected
        if problem != "a file":
            assert list((home / "mailgitops" / "jinja").iterdir()) == []
    finally:
        diskcache.enable(False)
        _forget_in_process()


def test_no_cache_variable_turns_it_off(cache_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGITOPS_NO_CACHE", "1")
    assert diskcache.directory("jinja") is None
