"""The commands README.md, docs/ and each --help show work as written.

Every `mailgitops` command line they show (the convention is in tests/support/doccommands.py)
names a command that exists and only options its `--help` lists: a doc or an example naming a
removed or misspelt option fails here with the file and line. A few of them are then run the
way a reader would, in the order the docs give them, on a fresh `mailgitops init` repository
and on a copy of the shipped one, and what they print is compared with what the docs show.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.doccommands import DocCommand, help_text, in_help, in_markdown, problems, walk
from support.docexamples import GUIDE_EXAMPLES, SHOWN, comment_after, doc, section
from support.incli import run_in_process
from support.smtpd import SmtpServer

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs").glob("*/*.md"))]
# The guides an admin copies from: each must show commands, or the extraction silently broke.
MUST_SHOW = ("README.md", "docs/admin-guide.md", "docs/translations.md", "docs/console.md",
             "docs/dispatcher.md", "docs/templates.md")


def mailgitops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_in_process(list(args), cwd=cwd, env=os.environ, stdin=None)


@pytest.fixture(scope="module")
def helps() -> dict[tuple[str, ...], str]:
    return {path: help_text(path) for path, _ in walk()}


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_command_a_doc_shows_exists_with_its_options(
        path: Path, helps: dict[tuple[str, ...], str]) -> None:
    name = path.relative_to(ROOT).as_posix()
    commands = list(in_markdown(path, name))
    if name in MUST_SHOW:
        assert commands, f"{name} shows no mailgitops command any more (or the extraction broke)"
    found = [problem for command in commands for problem in problems(command, helps)]
    assert not found, "\n".join(found)


def test_every_example_in_the_help_texts_exists_with_its_options(
        helps: dict[tuple[str, ...], str]) -> None:
    commands = list(in_help())
    assert len({c.where for c in commands}) > 10, "the help texts' examples were not found"
    found = [problem for command in commands for problem in problems(command, helps)]
    assert not found, "\n".join(found)


def test_a_misspelt_or_unknown_option_is_caught(helps: dict[tuple[str, ...], str]) -> None:
    # the check itself: what a doc with a typo would produce
    assert problems(DocCommand("x.md:1", ("render", "--out", "p", "--per-shop")), helps) == [
        "x.md:1: mailgitops render --out p --per-shop: `mailgitops render` has no option --per-shop "
        "(see its --help)"]
    assert problems(DocCommand("x.md:2", ("outbox", "purge")), helps) == [
        "x.md:2: mailgitops outbox purge: `mailgitops outbox` has no command `purge`"]
    assert problems(DocCommand("x.md:3", ("drafts", "edit", "ID", "[--cc", "a@x", "|", "--no-cc]")),
                    helps) == []


def test_starting_a_repository_as_the_admin_guide_shows(tmp_path: Path) -> None:
    guide = doc("docs/admin-guide.md")
    init = mailgitops("init", "printroom-emails", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "CI and pre-commit install `mailgitops==" in init.stdout  # the line the guide names
    repo = tmp_path / "printroom-emails"
    again = mailgitops("init", "printroom-emails", cwd=tmp_path)
    assert again.returncode == 2, "init must refuse a folder that is not empty"
    assert "--force" in again.stderr

    # "The result validates, renders and bundles as it is."
    validate = mailgitops("validate", cwd=repo)
    # validates: only a warning at each example address, which the guide names
    assert (validate.returncode, validate.stdout.strip().split("\n")[-1]) == (0, "0 error(s), 6 warning(s)")
    assert all(line.endswith(("[example-address]", "[example-link]"))
               for line in validate.stdout.strip().split("\n")[:-1])
    bundle = mailgitops("bundle", "--out", "bundle/mailgitops.bundle.json", cwd=repo)
    assert bundle.returncode == 0, bundle.stderr
    assert bundle.stdout.startswith("wrote bundle/mailgitops.bundle.json (")
    check = mailgitops("bundle", "--check", "bundle/mailgitops.bundle.json", cwd=repo)
    assert check.returncode == 0, check.stdout + check.stderr

    # Add a webshop: the guide's file, then its render and the From line it shows
    shop = section(guide, "Add a webshop")
    yaml_text = re.search(r"```yaml\n(.*?)```", shop, re.S)
    assert yaml_text is not None
    (repo / "config/webshops/library.yaml").write_text(yaml_text.group(1), encoding="utf-8")
    render = mailgitops("render", "--per-webshop", "--template", "order-accepted", "--out", "previews",
                        cwd=repo)
    assert render.returncode == 0, render.stdout + render.stderr
    shown = comment_after(shop, "grep '^From:' previews/order-accepted@library/en.eml")
    eml = (repo / "previews/order-accepted@library/en.eml").read_text(encoding="utf-8")
    assert shown in eml.split("\n")

    # the shop's file made the committed bundle stale, and --check says so
    stale = mailgitops("bundle", "--check", "bundle/mailgitops.bundle.json", cwd=repo)
    assert stale.returncode == 1

    # Add a language: step 1's edit, then the error step 2 shows, as validate prints it
    languages = repo / "config/languages.yaml"
    text = languages.read_text(encoding="utf-8")
    assert "active: [en, de, fr, nl, zh]" in text
    assert "`active: [en, de, fr, nl, zh, it]`" in guide
    languages.write_text(text.replace("active: [en, de, fr, nl, zh]", "active: [en, de, fr, nl, zh, it]"),
                         encoding="utf-8")
    activated = mailgitops("validate", cwd=repo)
    assert activated.returncode == 1
    step2 = re.search(r"^ +(config/languages\.yaml:\d+:\d+: error: .*\[missing-language\])$",
                      section(guide, "Add a language"), re.M)
    assert step2 is not None, "the guide no longer shows validate's error for a new language"
    assert step2.group(1) in activated.stdout.split("\n")


def test_the_translator_round_trip_as_docs_translations_shows(repo_copy: Path) -> None:
    guide = doc("docs/translations.md")
    before = {p: p.read_bytes() for p in (repo_copy / "templates").rglob("*.md")}
    export = mailgitops("translations", "export", "--lang", "de", "--out", "de.xlf", cwd=repo_copy)
    assert export.returncode == 0, export.stderr
    shown = comment_after(guide, "mailgitops translations export --lang de --out de.xlf")
    assert shown in (export.stdout + export.stderr).split("\n")

    # "A round trip with no changes writes nothing."
    back = mailgitops("translations", "import", "de.xlf", cwd=repo_copy)
    assert back.returncode == 0, back.stderr
    units = re.search(r"exported (\d+) units", shown)
    assert units is not None
    summary = f"0 updated, {units.group(1)} unchanged, 0 not translated yet, 0 new, 0 changed, 0 stale"
    assert summary in back.stdout
    assert before == {p: p.read_bytes() for p in (repo_copy / "templates").rglob("*.md")}

    # a dropped placeholder: nothing written, the header line the doc shows
    xlf = repo_copy / "de.xlf"
    dropped = re.sub(r'(<target xml:space="preserve">Ihr Auftrag )<ph id="1"[^>]*/> ', r"\1",
                     xlf.read_text(encoding="utf-8"), count=1)
    xlf.write_text(dropped, encoding="utf-8")
    refused = mailgitops("translations", "import", "de.xlf", cwd=repo_copy)
    assert refused.returncode == 1
    header = "error: nothing was imported: 1 problem(s) in de.xlf"
    assert header in guide
    assert header in refused.stderr.split("\n")
    assert "[translation-placeholder]" in refused.stderr
    assert before == {p: p.read_bytes() for p in (repo_copy / "templates").rglob("*.md")}


def test_a_typical_change_and_plan_as_the_readme_shows(repo_copy: Path) -> None:
    readme = doc("README.md")
    assert "mailgitops render --out previews --template order-ready" in readme
    validate = mailgitops("validate", cwd=repo_copy)
    # validates: only a warning at each example address, which the guide names
    assert (validate.returncode, validate.stdout.strip().split("\n")[-1]) == (0, "0 error(s), 6 warning(s)")
    assert all(line.endswith(("[example-address]", "[example-link]"))
               for line in validate.stdout.strip().split("\n")[:-1])
    render = mailgitops("render", "--out", "previews", "--template", "order-ready", cwd=repo_copy)
    assert render.returncode == 0, render.stderr
    assert (repo_copy / "previews/index.html").is_file()  # what `xdg-open previews/index.html` opens
    assert (repo_copy / "previews/order-ready/de.html").is_file()

    bundle = mailgitops("bundle", "--out", "bundle/mailgitops.bundle.json", cwd=repo_copy)
    assert bundle.returncode == 0, bundle.stderr
    plan = mailgitops("plan", "--bundle", "bundle/mailgitops.bundle.json", "--event",
                      "config/samples/flyers.yaml", "--format", "text", "--out", "previews", cwd=repo_copy)
    assert plan.returncode == 0, plan.stderr
    lines = plan.stdout.split("\n")
    assert lines[0].startswith("event sample-flyers-001 (order_accepted), bundle sha256:")
    assert re.match(r"ROLE +TO +LANGUAGE +TEMPLATE +STATUS$", lines[2])
    assert any(line.strip().startswith("rule: config/workflow.yaml triggers.order_accepted:")
               for line in lines)
    assert "files: previews/01-customer-de.html, previews/01-customer-de.txt" in plan.stdout


def test_validate_prints_what_the_admin_guide_shows(tmp_path: Path) -> None:
    shown = SHOWN.findall(doc("docs/admin-guide.md"))
    assert len(shown) >= 8, "the admin guide's validate examples were not found"
    by_recipe: dict[str, list[str]] = {}
    for line in shown:
        recipe = [prefix for prefix in GUIDE_EXAMPLES if line.startswith(prefix)]
        assert recipe, f"docs/admin-guide.md shows `{line}`: add how to produce it to GUIDE_EXAMPLES"
        by_recipe.setdefault(recipe[0], []).append(line)
    for number, (prefix, lines) in enumerate(by_recipe.items()):
        root = tmp_path / f"repo{number}"
        for part in ("config", "templates"):
            shutil.copytree(ROOT / part, root / part)
        GUIDE_EXAMPLES[prefix](root)
        printed = mailgitops("validate", cwd=root).stdout.split("\n")
        for line in lines:
            assert line in printed, f"docs/admin-guide.md shows\n  {line}\nvalidate prints\n  " + \
                "\n  ".join(printed)


def test_the_schema_lines_docs_editor_lists_are_those_init_writes(tmp_path: Path) -> None:
    made = mailgitops("init", "repo", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    rows = re.findall(r"^\| `([^`]+)`[^|]*\| `\$schema=([^`]+)` \|$", doc("docs/editor.md"), re.M)
    assert len(rows) >= 8, "docs/editor.md's table of schema lines was not found"
    examples = {"config/webshops/": "campus", "config/samples/": "flyers", "templates/": "quotation"}
    for file, target in rows:
        if file == "config/catalog.yaml":
            continue  # optional: init writes none
        example = next((name for folder, name in examples.items() if file.startswith(folder)), "")
        path = tmp_path / "repo" / re.sub(r"<\w+>", example, file)
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        assert first == f"# yaml-language-server: $schema={target}", f"{file}: docs/editor.md says {target}"
        assert (path.parent / target).resolve().is_file(), f"{file}: {target} does not exist"


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_systemd_units_docs_show_have_no_comment_after_a_value(path: Path) -> None:
    # systemd reads `#` only at the start of a line: `EnvironmentFile=/x   # note` names a file
    # called "/x   # note", and the unit a reader copies does not start
    name = path.relative_to(ROOT).as_posix()
    units = re.findall(r"```ini\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    found = [f"{name}: `{line}`" for unit in units if "[Service]" in unit for line in unit.split("\n")
             if "=" in line and not line.lstrip().startswith(("#", ";")) and re.search(r"\s#", line)]
    assert not found, "a comment after a value in a systemd unit:\n" + "\n".join(found)


def test_the_scripts_options_the_docs_name_exist() -> None:
    # `scripts/bench` hands its options to benchmarks/bench.py; `scripts/setup` takes one word
    named = {(m.group(1), option) for path in DOCS for m in re.finditer(
        r"scripts/(bench|setup)((?: --?[a-z][\w-]*(?: [\w,.]+)?)+)", path.read_text(encoding="utf-8"))
        for option in re.findall(r"(?<!\S)--?[a-z][\w-]*", m.group(2))}
    assert ("bench", "--sizes") in named, "the docs' scripts/bench lines were not found"
    bench = subprocess.run([sys.executable, str(ROOT / "benchmarks/bench.py"), "--help"],
                           capture_output=True, text=True, check=True).stdout
    setup_text = (ROOT / "scripts/setup").read_text(encoding="utf-8")
    setup = set(re.findall(r'"\$\{1:-\}" = "(--[a-z]+)"', setup_text))
    missing = [f"scripts/{script} {option}" for script, option in sorted(named)
               if option not in (setup if script == "setup" else set(re.findall(r"--?[a-z][\w-]*", bench)))]
    assert not missing, "the docs name options these scripts do not take: " + ", ".join(missing)


def test_every_environment_variable_the_docs_name_is_read_somewhere() -> None:
    # a misspelt variable in a doc is silently ignored by whoever copies it: no error, no effect
    named = {(path.relative_to(ROOT).as_posix(), name) for path in DOCS
             for name in re.findall(r"\bMAILGITOPS_[A-Z][A-Z0-9_]*[A-Z0-9]\b",
                                    path.read_text(encoding="utf-8"))}
    assert len({name for _, name in named}) > 10, "the docs' environment variables were not found"
    files = [p for folder in ("src", "scripts", "tests/browser") for p in (ROOT / folder).rglob("*")
             if p.is_file() and p.suffix in {".py", ""} and "__pycache__" not in p.parts]
    code = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    unread = sorted(f"{doc_name}: {name}" for doc_name, name in named
                    if not re.search(rf"\b{name}\b", code))
    assert not unread, "the docs name variables nothing reads: " + ", ".join(unread)


def test_a_staging_dispatch_to_a_local_sink_as_docs_dispatcher_shows(
        repo_copy: Path, sink: SmtpServer) -> None:
    guide = doc("docs/dispatcher.md")
    # "Trying it locally": point server at the sink, anonymous, and build the bundle again
    local = section(guide, "Trying it locally")
    for setting in ("`host: 127.0.0.1`", "`security: none`", "`auth: {mode: anonymous}`"):
        assert setting in local
    smtp = repo_copy / "config/smtp.yaml"
    text = re.sub(r"\nauth:\n(?:  .*\n?)*", "\nauth: {mode: anonymous}\n", smtp.read_text(encoding="utf-8"))
    text = re.sub(r"host: \S+", "host: 127.0.0.1", text)
    text = re.sub(r"port: \d+", f"port: {sink.port}", text)
    smtp.write_text(re.sub(r"security: \w+", "security: none", text), encoding="utf-8")
    assert mailgitops("bundle", "--out", "bundle/mailgitops.bundle.json", cwd=repo_copy).returncode == 0

    command = ("MAILGITOPS_DELIVERY=redirect:qa@example.com mailgitops dispatch"
               " --event config/samples/flyers.yaml")
    shown = re.search(re.escape(command) + r"\n```\n```\n(.*?)```", guide, re.S)
    assert shown is not None, "docs/dispatcher.md no longer shows the redirected email after its command"
    unset = {k: v for k, v in os.environ.items() if k != "MAILGITOPS_DELIVERY"}
    refused = run_in_process(["dispatch", "--event", "config/samples/flyers.yaml"], cwd=repo_copy,
                             env=unset, stdin=None)
    assert refused.returncode == 2  # "without the variable: exit 2, nothing sent"
    staging = run_in_process(["dispatch", "--event", "config/samples/flyers.yaml"], cwd=repo_copy,
                             env={**unset, "MAILGITOPS_DELIVERY": "redirect:qa@example.com"}, stdin=None)
    assert staging.returncode == 0, staging.stdout + staging.stderr
    [received] = sink.wait_for(1)
    assert received.rcpts == ["qa@example.com"]
    message = received.message
    headers, banner = shown.group(1).split("\n\n", 1)
    for line in headers.split("\n"):
        name, value = line.split(": ", 1)
        assert str(message[name]) == value, f"docs/dispatcher.md shows {line!r}"
    text_part = message.get_body(preferencelist=("plain",)).get_content()
    assert banner.split("\n")[0] in text_part
