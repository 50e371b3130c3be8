"""validate's per-file result cache: same output as a fresh run, only changed files analysed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.cli.main import cli
from mailgitops.validate import validate_repo

TEXT_FAMILIES = ("front-matter", "templates", "rendered", "variables", "secrets")


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv("MAILGITOPS_NO_CACHE", raising=False)
    return home


@pytest.fixture
def broken_repo(repo_copy: Path) -> Path:
    """The shipped repository with problems of every kind a per-file check finds, so that the
    cached results have something to say: a syntax error, an unknown variable, a text that
    fails to render, an http link, a legacy placeholder, a token, and a translation that drifts."""
    def append(rel: str, text: str) -> None:
        p = repo_copy / rel
        p.write_text(p.read_text(encoding="utf-8") + text, encoding="utf-8")

    append("templates/order-accepted/de.md", "\n{% if order.number %}kaputt\n")
    append("templates/order-accepted/fr.md", "\n{{ order.numbr }}\n")
    append("templates/order-accepted/nl.md", "\n[link](http://example.com/x)\n")
    append("templates/order-ready/en.md", "\nOrder %OrderNumber%\n")
    append("templates/order-dispatched/fr.md", "\n{{ customer.name * 100000000 }}\n")
    append("templates/order-ready/de.md", "\ntoken: ghp_" + "a1B2" * 9 + "\n")  # a dummy, made here
    append("templates/order-ready/nl.md", "\n{{ customer.company }}\n")
    return repo_copy


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout


def test_warm_output_is_byte_identical_to_a_fresh_run(broken_repo: Path, cache_home: Path) -> None:
    root = str(broken_repo)
    fresh = _cli("validate", "--root", root, "--format", "json", "--no-cache")
    assert not (cache_home / "mailgitops/validate").exists()  # --no-cache writes nothing
    for code in ("jinja-syntax", "unknown-variable", "render-error", "insecure-link", "legacy-placeholder",
                 "secret-in-repo", "translation-variables"):
        assert f'"{code}"' in fresh[1], code  # the fixture's problems are all there to be compared
    cold = _cli("validate", "--root", root, "--format", "json")
    assert list((cache_home / "mailgitops/validate").glob("*.pack"))
    warm = _cli("validate", "--root", root, "--format", "json")
    assert fresh == cold == warm
    assert _cli("validate", "--root", root, "--no-cache") == _cli("validate", "--root", root)  # text


def test_a_warm_run_analyses_nothing_again(broken_repo: Path, cache_home: Path) -> None:
    cold = validate_repo(broken_repo, cache=True)
    assert cold.cache is not None and not cold.cache.hits
    warm = validate_repo(broken_repo, cache=True)
    assert warm.cache is not None
    assert warm.cache.analysed == {}
    texts = len(list(broken_repo.glob("templates/*/*.md")))
    for family in TEXT_FAMILIES:
        assert warm.cache.hits[family] >= texts, family
    assert warm.diagnostics == cold.diagnostics


def test_editing_one_file_analyses_that_file_only(broken_repo: Path, cache_home: Path) -> None:
    validate_repo(broken_repo, cache=True)
    edited = broken_repo / "templates/order-finalized/de.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n{{ order.nmber }}\n", encoding="utf-8")
    warm = validate_repo(broken_repo, cache=True)
    assert warm.cache is not None
    assert warm.cache.analysed == {f: ("templates/order-finalized/de.md",) for f in TEXT_FAMILIES}
    fresh = validate_repo(broken_repo)
    assert warm.diagnostics == fresh.diagnostics
    assert any(d.file == "templates/order-finalized/de.md" and d.code == "unknown-variable"
               for d in warm.diagnostics)


def test_a_shared_input_changed_analyses_every_text_again(broken_repo: Path, cache_home: Path) -> None:
    """workflow.yaml decides which values a template may use: every text's checks run again (the
    front matter of each, which depends on the file alone, is still reused)."""
    validate_repo(broken_repo, cache=True)
    wf = broken_repo / "config/workflow.yaml"
    wf.write_text(wf.read_text(encoding="utf-8").replace("order_url:", "# order_url:", 1), encoding="utf-8")
    warm = validate_repo(broken_repo, cache=True)
    assert warm.cache is not None
    texts = len(list(broken_repo.glob("templates/*/*.md")))
    assert len(warm.cache.analysed["templates"]) == texts
    assert len(warm.cache.analysed["rendered"]) == texts
    assert "front-matter" not in warm.cache.analysed
    assert warm.diagnostics == validate_repo(broken_repo).diagnostics


def test_a_damaged_pack_is_ignored(broken_repo: Path, cache_home: Path) -> None:
    fresh = validate_repo(broken_repo)
    validate_repo(broken_repo, cache=True)
    (pack,) = (cache_home / "mailgitops/validate").glob("*.pack")
    data = bytearray(pack.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte in the middle of the results
    pack.write_bytes(bytes(data))
    again = validate_repo(broken_repo, cache=True)
    assert again.cache is not None and not again.cache.hits  # nothing trusted from it
    assert again.diagnostics == fresh.diagnostics
    pack.write_bytes(b"not a pack")
    assert validate_repo(broken_repo, cache=True).diagnostics == fresh.diagnostics


def test_the_environment_variable_turns_it_off(broken_repo: Path, cache_home: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGITOPS_NO_CACHE", "1")
    result = validate_repo(broken_repo, cache=True)
    assert result.cache is None
    _cli("validate", "--root", str(broken_repo))
    assert not (cache_home / "mailgitops/validate").exists()


def test_concurrent_runs_leave_a_whole_pack(broken_repo: Path, cache_home: Path) -> None:
    """Two validate processes at once, each writing the pack: both print the fresh output and the
    pack left behind is whole (a later run takes everything from it)."""
    expected = _cli("validate", "--root", str(broken_repo), "--format", "json", "--no-cache")[1]
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    cmd = [sys.executable, "-m", "mailgitops", "validate", "--root", str(broken_repo), "--format", "json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [o for o, _ in outs] == [expected] * 3, [e for _, e in outs]
    assert not list((cache_home / "mailgitops/validate").glob("*.tmp"))
    warm = validate_repo(broken_repo, cache=True)
    assert warm.cache is not None and warm.cache.analysed == {}


def test_two_processes_find_what_one_finds(broken_repo: Path, cache_home: Path) -> None:
    """A large repository shares the per-file work with a second process: the same problems, each
    text analysed once (by one of them), and the results the worker made are kept too."""
    one = validate_repo(broken_repo, workers=1)
    two = validate_repo(broken_repo, cache=True, workers=2)
    assert two.diagnostics == one.diagnostics
    assert two.cache is not None and not two.cache.hits
    texts_count = len(list(broken_repo.glob("templates/*/*.md")))
    assert two.cache.from_workers >= texts_count  # about half of the texts' results, 5 families each
    texts = sorted(p.relative_to(broken_repo).as_posix() for p in broken_repo.glob("templates/*/*.md"))
    for family in TEXT_FAMILIES:
        analysed = [f for f in two.cache.analysed[family] if f.endswith(".md")]
        assert sorted(analysed) == texts, family
    warm = validate_repo(broken_repo, cache=True, workers=1)
    assert warm.cache is not None and warm.cache.analysed == {}
    assert validate_repo(broken_repo, workers=2).diagnostics == one.diagnostics  # without a pack too


def test_the_pool_reads_no_link_the_loader_refuses(repo_copy: Path, cache_home: Path) -> None:
    """A text that is a link to /dev/zero is refused by the loader before anything is read; the
    processes that read texts ahead of it must not read it either (it would never end)."""
    (repo_copy / "templates/order-ready/it.md").symlink_to("/dev/zero")
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from mailgitops.validate import "
         "validate_repo; r = validate_repo(Path(sys.argv[1]), cache=True, workers=2); "
         "print(sorted({d.code for d in r.diagnostics if d.file.endswith('it.md')}))", str(repo_copy)],
        env={**os.environ, "XDG_CACHE_HOME": str(cache_home)}, capture_output=True, text=True, timeout=300,
        check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['outside-repo']"
