"""`mailgitops validate` through the real CLI: the shipped repository and the bad-input corpus.

Each folder under bad_repos/ is a mutation of the shipped repository: it holds only the files that
differ (laid over a copy of config/ and templates/), `expected.txt` (`path:line:col code` for every
expected problem; `# warnings-only` marks a case that passes without --strict), and optionally
`delete.txt` (shipped files to remove) and `pad.txt` (`path bytes`: grow a file past a size cap).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from mailgitops.catalog import triggers
from mailgitops.checks import addresses, crossfile, secrets, smtp, templates
from mailgitops.cli.main import cli
from mailgitops.repo import load_repo

PROJECT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).parent / "bad_repos"
MAILGITOPS = Path(sys.executable).parent / "mailgitops"
META = {"expected.txt", "expected-output.txt", "delete.txt", "pad.txt"}
# run as a separate process (the installed console script); the rest use CliRunner for speed
SUBPROCESS_CASES = {
    "yaml-syntax-unclosed-list", "tpl-job-outside-loop-t6", "addr-cc-split-bad-part",
    "secret-literal-password", "cross-unused-template", "smtp-port-mode-mismatch",
    "tpl-deeply-nested-jinja",  # a RecursionError would exit 3 in a real process
}


def test_every_catalog_trigger_has_its_default_template_shipped() -> None:
    wanted = {t.default_template for t in triggers().values()}
    have = {p.name for p in (PROJECT / "templates").iterdir() if p.is_dir()}
    assert wanted <= have, sorted(wanted - have)


@dataclass(frozen=True)
class Case:
    name: str
    expected: frozenset[tuple[str, int, int, str]]
    warnings_only: bool


def load_case(folder: Path) -> Case:
    expected = set()
    warnings_only = False
    for line in (folder / "expected.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            warnings_only |= "warnings-only" in line
            continue
        if line.strip():
            where, code = line.rsplit(" ", 1)
            path, ln, col = where.rsplit(":", 2)
            expected.add((path, int(ln), int(col), code))
    return Case(folder.name, frozenset(expected), warnings_only)


def build_repo(folder: Path, dest: Path) -> Path:
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, dest / part)
    for src in folder.rglob("*"):
        rel = src.relative_to(folder).as_posix()
        if src.is_file() and rel not in META:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            data = src.read_bytes()
            # PEM headers and the sample password are spelled out at test time, so nothing in git
            # looks like a private key or a live credential
            for marker, kind in ((b"@BEGIN-KEY@", b"BEGIN"), (b"@END-KEY@", b"END")):
                data = data.replace(marker, b"-----" + kind + b" PRIVATE KEY-----")
            data = data.replace(b"@SAMPLE-PASSWORD@", b"Tr0ub4" + b"dor&3")
            (dest / rel).write_bytes(data)
    delete = folder / "delete.txt"
    for rel in delete.read_text().split() if delete.exists() else ():
        target = dest / rel
        assert target.exists(), f"{rel}: delete.txt names a file the shipped repository lacks"
        target.unlink()
    pad = folder / "pad.txt"
    if pad.exists():
        rel, size = pad.read_text().split()
        with (dest / rel).open("a", encoding="utf-8") as f:
            f.write("#" + "x" * int(size) + "\n")
    return dest


def run_cli(root: Path, *args: str, subprocess_: bool = False) -> tuple[int, str]:
    argv = ["validate", "--root", str(root), "--format", "json", *args]
    if subprocess_:
        proc = subprocess.run([str(MAILGITOPS), *argv], capture_output=True, text=True, timeout=120,
                              check=False)
        return proc.returncode, proc.stdout + proc.stderr
    result = CliRunner().invoke(cli, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def found(output: str) -> list[dict[str, object]]:
    start = output.index("[")
    parsed: list[dict[str, object]] = json.loads(output[start:output.rindex("]") + 1])
    return parsed


CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.txt").exists())


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 45


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_bad_repository(folder: Path, tmp_path: Path) -> None:
    case = load_case(folder)
    root = build_repo(folder, tmp_path / "repo")
    code, output = run_cli(root, subprocess_=case.name in SUBPROCESS_CASES)
    assert "Traceback" not in output
    diags = found(output)
    got = {(d["file"], d["line"], d["col"], d["code"]) for d in diags}
    missing = case.expected - got
    assert not missing, f"not reported: {sorted(missing)}\nreported: {sorted(got)}"
    errors = [d for d in diags if d["severity"] == "error"]
    if case.warnings_only:
        assert code == 0, errors
        assert not errors, errors
        strict_code, _ = run_cli(root, "--strict", subprocess_=case.name in SUBPROCESS_CASES)
        assert strict_code == 1
    else:
        assert code == 1


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_shipped_repository_is_clean(fmt: str) -> None:
    proc = subprocess.run([str(MAILGITOPS), "validate", "--root", str(PROJECT), "--format", fmt],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    if fmt == "json":
        assert [d for d in json.loads(proc.stdout) if d["severity"] == "error"] == []


def test_shipped_repository_has_no_warnings_from_the_validate_checks() -> None:
    loaded = load_repo(PROJECT)
    diags = list(loaded.diagnostics)
    for check in (crossfile.check, templates.check, smtp.check, addresses.check, secrets.check):
        diags.extend(check(loaded))
    assert diags == []


def test_text_format_names_path_line_col(tmp_path: Path) -> None:
    root = build_repo(CORPUS / "tpl-job-outside-loop-t6", tmp_path / "repo")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1
    assert "templates/order-accepted/en.md:4:9: error: `job.product.name` is a per-job item" in result.output
    assert "{% for job in order.jobs %}" in result.output


def test_github_format_annotates(tmp_path: Path) -> None:
    root = build_repo(CORPUS / "smtp-port-mode-mismatch", tmp_path / "repo")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", "github"])
    assert result.exit_code == 0
    assert "::warning file=config/smtp.yaml,line=" in result.output


def test_wrong_usage_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path), "--format", "xml"])
    assert result.exit_code == 2
    result = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "no such folder" in result.output


def test_a_repository_with_an_empty_config_folder_reports_the_missing_files(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()  # an empty folder with neither is no repository: a usage error
    code, output = run_cli(tmp_path)
    assert code == 1
    assert {d["file"] for d in found(output)} >= {"config/smtp.yaml", "config/workflow.yaml", "templates"}


def test_root_without_schema_folder_validates_with_packaged_schemas(tmp_path: Path) -> None:
    """A repository holding only config/ and templates/ (no schema/), run from elsewhere."""
    root = tmp_path / "other"
    for part in ("config", "templates"):
        shutil.copytree(PROJECT / part, root / part)
    assert not (root / "schema").exists()
    proc = subprocess.run([str(MAILGITOPS), "validate", "--root", str(root)], capture_output=True,
                          text=True, timeout=120, check=False, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # only the shipped example addresses and order link, which a print room replaces before going live
    assert proc.stdout.strip().splitlines()[-1] == "0 error(s), 6 warning(s)", proc.stdout
    assert all(line.endswith(("[example-address]", "[example-link]"))
               for line in proc.stdout.strip().splitlines()[:-1])


def test_github_format_escapes_values_that_could_forge_annotations(tmp_path: Path) -> None:
    root = build_repo(CORPUS / "addr-cc-header-injection", tmp_path / "repo")
    (root / "config/webshops/shop,x.yaml").write_text('name: Shop\n"evil\\n::error file=x::100%": 1\n',
                                                      encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", "github"])
    assert result.exit_code == 1
    # the shipped example addresses and order link aside (a warning each), nothing but the three
    # errors: none forged
    lines = [ln for ln in result.output.splitlines()
             if "title=example-address::" not in ln and "title=example-link::" not in ln]
    assert [ln.split(" ", 1)[0] for ln in lines[:-1]] == ["::error", "::error", "::error"]
    assert lines[-1] == "3 error(s), 5 warning(s)"
    # `shop,x` is no webshop id an event can send: said, with the comma escaped in the file name too
    assert "::error file=config/webshops/shop%2Cx.yaml,line=1,col=1,title=bad-file-name::" in lines[1]
    assert "::error file=config/webshops/shop%2Cx.yaml,line=2,col=1,title=unknown-key::" in lines[2]
    assert "`evil\\n::error file=x::100%25`" in lines[2]
    assert "`archive@example.com\\r\\nBcc: victim@example.net`" in lines[0]


def test_text_format_keeps_each_problem_on_one_line(tmp_path: Path) -> None:
    root = build_repo(CORPUS / "addr-cc-header-injection", tmp_path / "repo")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    lines = [ln for ln in result.output.splitlines()
             if not ln.endswith(("[example-address]", "[example-link]"))]
    assert lines[0].startswith("config/smtp.yaml:7:5: error: cc address ")
    assert len(lines) == 2


def test_wrong_usage_exits_2_through_the_console_script(tmp_path: Path) -> None:
    for argv in (["--format", "xml"], ["--root", str(tmp_path / "nowhere")], ["--bogus"]):
        proc = subprocess.run([str(MAILGITOPS), "validate", "--root", str(tmp_path), *argv],
                              capture_output=True, text=True, timeout=60, check=False)
        assert proc.returncode == 2, (argv, proc.stdout + proc.stderr)
        assert "Traceback" not in proc.stderr


def test_github_format_is_picked_inside_github_actions(tmp_path: Path) -> None:
    root = build_repo(CORPUS / "smtp-port-mode-mismatch", tmp_path / "repo")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)], env={"GITHUB_ACTIONS": "true"})
    assert result.output.startswith("::warning file=config/smtp.yaml,line=")
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)], env={"GITHUB_ACTIONS": None})
    assert result.output.startswith("config/smtp.yaml:")


def test_shipped_repository_is_the_starting_point_issue_2_describes() -> None:
    """Five active languages (default en), every catalog trigger, two webshops (one overriding
    the sender), two or more samples (one with several jobs), every template in every language."""
    repo = load_repo(PROJECT).repo
    assert (repo.languages.default, set(repo.languages.active)) == ("en", {"en", "de", "fr", "nl", "zh"})
    assert set(repo.workflow.triggers) == set(triggers())
    assert len(repo.webshops) >= 2
    assert any(w.sender for w in repo.webshops.values())
    assert len(repo.samples) >= 2
    assert any(len(s.data.get("order", {}).get("jobs", [])) > 1 for s in repo.samples.values())
    for t in triggers().values():
        tpl = repo.templates[t.default_template]
        assert set(tpl.texts) == set(repo.languages.active), t.id
        for text in tpl.texts.values():
            assert "TODO" not in text.body + text.subject, text.file
            assert text.subject.strip(), text.file


@pytest.mark.parametrize("case", ["secret-password-given-as-variable", "secret-auth-misspelt-password"])
def test_a_password_in_the_settings_is_never_repeated_in_any_format(case: str, tmp_path: Path) -> None:
    """Each format's output goes somewhere others read: CI's annotations (github), the pull
    request's comment (markdown), logs (text, json)."""
    root = build_repo(CORPUS / case, tmp_path / "repo")
    for fmt in ("text", "github", "markdown", "json"):
        result = CliRunner().invoke(cli, ["validate", "--root", str(root), "--format", fmt])
        assert result.exit_code == 1, result.output
        assert "secret-in-repo" in result.output
        assert "S3cr3t!Hansen2026" not in result.output, fmt
