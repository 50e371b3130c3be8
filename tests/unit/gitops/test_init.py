"""`init`: a new print room's repository, complete and valid as written."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from mailgitops import __version__
from mailgitops.defaults import defaults_root
from mailgitops.validate import validate_repo
from support.incli import run_in_process


def cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_in_process([str(a) for a in args], cwd=None, env=os.environ, stdin=None)


def test_defaults_root_holds_the_shipped_config_and_templates() -> None:
    root = defaults_root()
    assert (root / "config" / "smtp.yaml").is_file()
    assert (root / "templates").is_dir()


def test_init_writes_a_complete_repository(tmp_path: Path) -> None:
    target = tmp_path / "printroom"
    r = cli("init", target)
    assert r.returncode == 0, r.stderr
    assert "next steps" in r.stdout
    for rel in ("config/smtp.yaml", "config/languages.yaml", "config/workflow.yaml",
                "schema/smtp.schema.json", "schema/variables.yaml", "schema/triggers.yaml",
                ".github/workflows/pr.yml", ".github/workflows/main.yml",
                ".pre-commit-config.yaml", ".gitignore", "README.md", "requirements.txt",
                ".vscode/extensions.json"):
        assert (target / rel).is_file(), rel
    assert f"mailgitops=={__version__}\n" in (target / "requirements.txt").read_text()
    assert "@MAILGITOPS_VERSION@" not in (target / "README.md").read_text()
    # Every shipped template came along.
    shipped = sorted(p.name for p in (defaults_root() / "templates").iterdir())
    assert sorted(p.name for p in (target / "templates").iterdir()) == shipped


def test_the_new_repository_ignores_the_files_that_hold_secrets_or_customers_data(tmp_path: Path) -> None:
    target = tmp_path / "printroom"
    assert cli("init", target).returncode == 0
    subprocess.run(["git", "init", "-q", str(target)], check=True)
    private = (".env", ".env.production", "smtp.env", "certs/client.key", "previews/01-customer-de.html",
               "mailgitops-outbox.sqlite", "mailgitops-outbox.sqlite-wal", "mailgitops-outbox.sqlite-shm",
               "mailgitops-outbox.sqlite-journal", "mailgitops-operators.sqlite")
    for rel in private:
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).write_text("MAILGITOPS_SMTP_PASSWORD=hunter2hunter2\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(target), "add", "-A"], check=True)
    staged = subprocess.run(["git", "-C", str(target), "diff", "--cached", "--name-only"], check=True,
                            capture_output=True, text=True).stdout.split()
    assert "config/smtp.yaml" in staged  # the workflow's `git add -A` takes the config...
    assert set(private).isdisjoint(staged)  # ...and none of these


def test_init_output_validates_cleanly(tmp_path: Path) -> None:
    cli("init", tmp_path / "r")
    result = validate_repo(tmp_path / "r")
    assert result.errors == ()


def test_every_schema_line_points_at_a_file_that_exists(tmp_path: Path) -> None:
    cli("init", tmp_path / "r")
    root = tmp_path / "r"
    files = [*root.glob("config/**/*.yaml"), *root.glob("templates/**/*.yaml"),
             *root.glob("templates/**/*.md")]
    seen = 0
    for f in sorted(files):
        m = re.search(r"yaml-language-server: \$schema=(\S+)", f.read_text(encoding="utf-8"))
        if m:
            seen += 1
            assert (f.parent / m.group(1)).resolve().is_file(), f"{f}: {m.group(1)}"
    assert seen >= 4


def test_pre_commit_config_runs_validate_on_config_and_templates(tmp_path: Path) -> None:
    cli("init", tmp_path / "r")
    doc = yaml.safe_load((tmp_path / "r" / ".pre-commit-config.yaml").read_text())
    hook = doc["repos"][0]["hooks"][0]
    assert hook["entry"] == "mailgitops validate"
    assert hook["pass_filenames"] is False
    assert re.match(hook["files"], "templates/order-accepted/de.md")
    assert not re.match(hook["files"], "README.md")


def test_the_shipped_hook_definition(tmp_path: Path) -> None:
    hooks = yaml.safe_load((Path(__file__).parents[3] / ".pre-commit-hooks.yaml").read_text())
    assert hooks == [hooks[0]]
    # pre-commit's manifest format: id, name, entry and language are required.
    assert {k: hooks[0][k] for k in ("id", "name", "entry", "pass_filenames", "files", "language")} == {
        "id": "mailgitops-validate", "name": "mailgitops validate", "entry": "mailgitops validate",
        "pass_filenames": False, "files": "^(config|templates)/", "language": "python"}


def test_init_refuses_a_non_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    r = cli("init", tmp_path)
    assert r.returncode == 2
    assert "is not empty (notes.txt)" in r.stderr
    assert "--force" in r.stderr
    assert not (tmp_path / "config").exists()


def test_init_accepts_a_fresh_clone(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    assert cli("init", tmp_path).returncode == 0
    assert (tmp_path / "config" / "smtp.yaml").is_file()


def test_force_overwrites_ours_and_keeps_the_rest(tmp_path: Path) -> None:
    cli("init", tmp_path)
    (tmp_path / "config" / "smtp.yaml").write_text("broken: [")
    (tmp_path / "notes.txt").write_text("mine")
    r = cli("init", tmp_path, "--force")
    assert r.returncode == 0, r.stderr
    assert "sender:" in (tmp_path / "config" / "smtp.yaml").read_text()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    r = cli("init", tmp_path / "f")
    assert r.returncode == 2
    assert "Traceback" not in r.stderr


def test_install_names_where_ci_gets_mailgitops(tmp_path: Path) -> None:
    spec = "mailgitops @ git+https://git.example.com/tools/mailgitops@v0.1.0"
    r = cli("init", tmp_path / "r", "--install", spec)
    assert r.returncode == 0, r.stderr
    assert f"install `{spec}`" in r.stdout
    lines = (tmp_path / "r" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line and not line.startswith("#")] == [spec]
    readme = (tmp_path / "r" / "README.md").read_text(encoding="utf-8")
    assert spec in readme
    assert "<org>" not in readme
    assert "@MAILGITOPS" not in readme


def test_no_placeholder_url_is_left_in_a_new_repository(tmp_path: Path) -> None:
    cli("init", tmp_path / "r")
    for f in sorted((tmp_path / "r").rglob("*")):
        if f.is_file() and f.suffix in {".md", ".txt", ".yml", ".yaml", ".json", ""}:
            text = f.read_text(encoding="utf-8")
            assert "<org>" not in text, f
            assert "@MAILGITOPS_" not in text, f


def test_install_must_be_one_requirement_line(tmp_path: Path) -> None:
    r = cli("init", tmp_path / "r", "--install", "-r other.txt")
    assert r.returncode == 2
    assert "is not one requirement line" in r.stderr
    assert "mailgitops==0.1.0" in r.stderr
    assert not (tmp_path / "r").exists()


def test_the_readme_lists_every_example_address_a_print_room_must_replace(tmp_path: Path) -> None:
    """validate warns at each example address, but not at every placeholder (links, the look): the
    new repository's README names every file and setting that still holds one, so none goes live
    unnoticed."""
    repo = tmp_path / "r"
    assert cli("init", repo).returncode == 0
    readme = (repo / "README.md").read_text(encoding="utf-8")
    assert "git grep -n example.com config templates" in readme
    for f in sorted((repo / "config").rglob("*.yaml")):
        if "samples" in f.parts:
            continue  # sample orders are meant to be made up
        parent = ""
        for line in f.read_text(encoding="utf-8").splitlines():
            setting = line.split("#", 1)[0]
            if setting.strip() and not setting.startswith(" "):
                parent = setting.split(":", 1)[0]  # sender:, cc:, server: ...
            if "example.com" in setting:
                rel = f.relative_to(repo).as_posix()
                named = rel in readme or (f.parent.name == "webshops" and "config/webshops/" in readme)
                assert named, f"{rel} holds {setting.strip()!r} but the README's list does not name it"
                address = re.search(r"[\w.+-]*example\.com", setting)
                assert f"`{parent}" in readme or (address and address.group() in readme), \
                    f"{rel}: {setting.strip()!r} is not in the README's list"
