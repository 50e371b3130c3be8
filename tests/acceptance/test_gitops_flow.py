"""The review loop without GitHub: the `run:` steps of the workflows `init` writes, executed in
their order on a temporary git repository (init, push, pull request changing one German subject,
merge), so the CI logic itself is what is tested."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from mailgitops.bundle import DEFAULT_PATH as BUNDLE_PATH
from mailgitops.gitops.screenshot import page, planned_shots
from support.incli import run_in_process

CHROMIUM = "/usr/bin/chromium"
BIN = Path(sys.executable).parent
NEW_SUBJECT = 'subject: "Auftrag {{ order.number }} ist angenommen"'


def mailgitops(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The command a reviewer runs by hand (the workflow's own steps run as processes below)."""
    return run_in_process([str(a) for a in args], cwd=cwd, env=os.environ, stdin=None)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@dataclass
class Runner:
    """Plays a GitHub runner: each `run:` step in bash -eo pipefail, as Actions does."""

    repo: Path
    temp: Path
    chromium: str | None = CHROMIUM

    def env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
        env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", RUNNER_TEMP=str(self.temp),
                   GITHUB_STEP_SUMMARY=str(self.temp / "step-summary.md"), **extra)
        if self.chromium:
            env["CHROMIUM"] = self.chromium
        return env

    def run_job(self, workflow: Path, expressions: dict[str, str], env: dict[str, str], *,
                may_fail: bool = False) -> list[str]:
        """Every run step of the workflow's only job, in order; returns the names of those run.
        With `may_fail`, a failing step ends the job as on GitHub, its name last with ` (failed)`."""
        doc = yaml.safe_load(workflow.read_text(encoding="utf-8"))
        (job,) = doc["jobs"].values()
        ran = []
        for step in job["steps"]:
            script = step.get("run")
            if script is None or "pip install" in script:
                continue  # `uses:` steps are GitHub's; mailgitops is installed in this venv already
            step_env = {k: self._expand(str(v), expressions) for k, v in {**job.get("env", {}),
                                                                          **step.get("env", {})}.items()}
            proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                   self._expand(script, expressions)],
                                  cwd=self.repo, env=self.env({**env, **step_env}),
                                  capture_output=True, text=True, check=False)
            name = str(step.get("name", script.splitlines()[0]))
            if proc.returncode != 0 and may_fail:
                return [*ran, f"{name} (failed)"]
            assert proc.returncode == 0, f"step {name!r} failed:\n{proc.stdout}\n{proc.stderr}"
            ran.append(name)
        return ran

    @staticmethod
    def _expand(text: str, expressions: dict[str, str]) -> str:
        for expr, value in expressions.items():
            text = text.replace("${{ " + expr + " }}", value)
        assert "${{" not in text, f"an expression this test does not know: {text}"
        return text


def change_german_subject(repo: Path) -> None:
    de = repo / "templates" / "order-accepted" / "de.md"
    text = re.sub(r"^subject: .*$", NEW_SUBJECT, de.read_text(encoding="utf-8"), count=1, flags=re.M)
    de.write_text(text, encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Friendlier subject for accepted orders")


@pytest.fixture
def printroom(tmp_path: Path) -> tuple[Path, Path]:
    """`mailgitops init`, committed on main and pushed to a bare 'GitHub' remote."""
    repo, origin = tmp_path / "printroom", tmp_path / "origin.git"
    assert mailgitops("init", repo).returncode == 0
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(origin)], check=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.name", "Admin")
    git(repo, "config", "user.email", "admin@example.com")
    git(repo, "remote", "add", "origin", str(origin))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Our emails")
    git(repo, "push", "-q", "origin", "main")
    return repo, origin


@pytest.mark.slow
def test_init_output_validates_renders_and_bundles(tmp_path: Path) -> None:
    repo = tmp_path / "new"
    assert mailgitops("init", repo).returncode == 0
    r = mailgitops("validate", "--root", repo)
    assert r.returncode == 0, r.stdout + r.stderr
    r = mailgitops("render", "--root", repo, "--out", tmp_path / "previews")
    assert r.returncode == 0, r.stderr
    manifest = json.loads((tmp_path / "previews" / "manifest.json").read_text(encoding="utf-8"))
    written = {(p.parent.name, p.stem) for p in (repo / "templates").glob("*/*.md")
               if not p.parent.name.startswith("_")}
    assert {(e["template"], e["lang"]) for e in manifest["emails"]} == written  # every email, each language
    bundle = tmp_path / "bundle.json"
    assert mailgitops("bundle", "--root", repo, "--out", bundle).returncode == 0
    assert mailgitops("bundle", "--root", repo, "--check", bundle).returncode == 0


def pull_request(runner: Runner, repo: Path, number: int, base_sha: str, *, may_fail: bool = False
                 ) -> list[str]:
    """The pull-request workflow's job, as GitHub runs it for PR `number` against `base_sha`: the
    steps it ran."""
    return runner.run_job(repo / ".github" / "workflows" / "pr.yml",
                          {"github.event.pull_request.number": str(number),
                           "github.event.pull_request.base.sha": base_sha}, {}, may_fail=may_fail)


@pytest.mark.slow
@pytest.mark.browser
def test_pull_request_changing_one_german_subject(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner")
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    change_german_subject(repo)

    ran = pull_request(runner, repo, 1, base_sha)
    assert ran == ["Validate (problems appear as annotations on the changed lines)",
                   "Render the emails of the base and of the head",
                   "Compare base and head",
                   "Screenshots of the changed emails (headless Chromium)",
                   "Spam check of the changed emails (SpamAssassin, local rules only)"]

    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert "**1 email differs** from the base: 1 changed;" in summary
    assert re.search(r"\| `order-accepted` · `de` \| changed \| Ihr Auftrag \S+ wurde angenommen → "
                     r"\*\*Auftrag \S+ ist angenommen\*\* \|", summary), summary
    assert summary in (runner.temp / "step-summary.md").read_text(encoding="utf-8")
    assert "Settings changed" not in summary
    changes = json.loads((repo / "previews" / "changes.json").read_text(encoding="utf-8"))
    assert [(c["template"], c["lang"]) for c in changes["changed"]] == [("order-accepted", "de")]
    # The screenshot shows the email under a header band that carries the new subject.
    (shot,) = planned_shots(repo / "previews" / "changes.json", repo / "previews" / "head",
                            repo / "previews" / "screenshots")
    assert re.search(r"<b>Auftrag \S+ ist angenommen</b>", page(shot))
    png = repo / "previews" / "screenshots" / "order-accepted" / "de.png"
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.slow
def test_a_settings_only_change_is_named_in_the_comment(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    """`send: never` renders no email differently, but a reviewer must still see that it changed:
    its emails read 'no longer sent', and the settings file is named."""
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner", chromium=None)
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    wf = repo / "config" / "workflow.yaml"
    text = wf.read_text(encoding="utf-8")
    start = text.index("  order_accepted:")
    send = text.index("send:", start)
    wf.write_text(text[:send] + "send: never" + text[text.index("\n", send):], encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Stop the accepted email for now")
    pull_request(runner, repo, 2, base_sha)
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert "**No email changed**" not in summary
    assert "| `order-accepted` · `de` | changed: **no longer sent** |" in summary
    assert "**no trigger sends it**" in summary
    assert "**Settings changed**" in summary
    assert "- `config/workflow.yaml`" in summary


@pytest.mark.slow
def test_a_validation_error_heads_the_comment_and_the_run_summary(printroom: tuple[Path, Path],
                                                                  tmp_path: Path) -> None:
    """The check stops at validate; the reviewer reads the problem, at its file and line, in the
    comment and on the run's page, not only as an annotation (a fork's pull request has none)."""
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner", chromium=None)
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    de = repo / "templates" / "order-accepted" / "de.md"
    de.write_text(de.read_text(encoding="utf-8").replace("{{ order.number }}**", "{{ order.numbr }}**"),
                  encoding="utf-8")
    git(repo, "commit", "-q", "-am", "typo")
    ran = pull_request(runner, repo, 4, base_sha, may_fail=True)
    assert ran == ["Validate (problems appear as annotations on the changed lines) (failed)"]
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert re.match(r"## Email preview\n\n\*\*No preview: validate found 1 error\*\*( and \d+ warnings?)?\. "
                    r"Fix (it|each) in the file and at the line named", summary), summary
    assert ("templates/order-accepted/de.md:7:59: error: unknown variable `order.numbr` "
            "(did you mean `order.number`?) [unknown-variable]") in summary
    assert summary in (runner.temp / "step-summary.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_warning_is_named_after_the_emails(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner", chromium=None)
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    wf = repo / "config" / "workflow.yaml"
    text = wf.read_text(encoding="utf-8")
    start = text.index("  order_accepted:")
    to = text.index("to: [customer]", start)
    wf.write_text(text[:to] + "to: [customer, operator]" + text[to + len("to: [customer]"):],
                  encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Operators hear about accepted orders too")
    pull_request(runner, repo, 5, base_sha)
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert "- Sent by: order\\_accepted to customer (only to customers who asked) → " in summary
    assert re.search(r"<details><summary><b>validate warns \(\d+ warnings?\)</b>; they do not stop this "
                     r"pull request", summary), summary
    assert re.search(r"config/workflow.yaml:\d+:\d+: warning: trigger `order_accepted` sends template "
                     r"`order-accepted`, written for the customer, to the operator", summary), summary


@pytest.mark.slow
def test_a_subject_in_capitals_is_named_by_the_spam_check(printroom: tuple[Path, Path],
                                                          tmp_path: Path) -> None:
    """SpamAssassin (the runner's, local rules) scores the changed emails before and after; the
    comment names the one whose score rose and the rule that fired, and not the unchanged ones."""
    if shutil.which("spamassassin") is None:
        pytest.fail("spamassassin is not installed: run scripts/setup --test (Debian: spamassassin)")
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner", chromium=None)
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    en = repo / "templates" / "order-accepted" / "en.md"
    en.write_text(re.sub(r"^subject: .*$", 'subject: "YOUR ORDER {{ order.number }} IS ACCEPTED"',
                         en.read_text(encoding="utf-8"), count=1, flags=re.M), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Louder")
    ran = pull_request(runner, repo, 6, base_sha)
    assert "Spam check of the changed emails (SpamAssassin, local rules only)" in ran
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert "**Spam check** (SpamAssassin's local rules; 5.0 or more is marked as spam):" in summary
    # the staff shop's email is the plain one byte for byte: named on its row, as in the diff
    assert re.search(r"\| `order-accepted` · `en` \(also `@staff`: the same email\) "
                     r"\| 0\.0 → \*\*\d+\.\d\*\* \| `SUBJ_ALL_CAPS` \|", summary), summary
    assert "| `order-accepted@staff` · `en` |" not in summary
    assert "| `order-accepted` · `de` |" not in summary.split("**Spam check**")[1]
    # named below the headline too, not only at the end after every diff
    lines = summary.splitlines()
    assert lines[2].startswith("**3 emails differ**"), lines[:5]
    assert lines[4] == ("**Spam check: 3 email(s) score higher than before** (the rules are named at "
                        "the end)."), lines[:5]
    # the run's page has the same section (the line below the headline is the comment's)
    section = summary[summary.index("**Spam check** (SpamAssassin"):]
    assert section in (runner.temp / "step-summary.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_a_new_colour_is_named_as_a_look_change(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    """A theme colour changes every email's HTML and no line of text: the comment says where to look."""
    repo, _ = printroom
    runner = Runner(repo, tmp_path / "runner", chromium=None)
    runner.temp.mkdir()
    base_sha = git(repo, "rev-parse", "HEAD")
    theme = repo / "templates" / "_layouts" / "theme.yaml"
    theme.write_text(re.sub(r'accent_color: "#[0-9a-fA-F]+"', 'accent_color: "#c2410c"',
                            theme.read_text(encoding="utf-8")), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "Our orange")
    pull_request(runner, repo, 3, base_sha)
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    # one folded paragraph naming them, not a row and a section for each of the 119 emails
    assert re.search(r"\*\*\d{2,} emails changed in their HTML only\*\* \(layout, colours or logo", summary)
    assert "- `order-accepted`: `de`, `en`, `fr`, `nl`, `zh`" in summary
    assert "| email | change |" not in summary
    assert "Changed: HTML only" not in summary
    assert len(summary) < 8000, len(summary)
    assert "**Look changed**" in summary
    assert "- `templates/_layouts/theme.yaml`" in summary
    assert "Settings changed" not in summary


@pytest.mark.slow
def test_push_to_main_keeps_the_committed_bundle_fresh(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = printroom
    runner = Runner(repo, tmp_path / "runner")
    runner.temp.mkdir()
    main_yml = repo / ".github" / "workflows" / "main.yml"
    summary = runner.temp / "step-summary.md"

    def push_to_main() -> list[str]:
        git(repo, "push", "-q", "origin", "main")
        return runner.run_job(main_yml, {"github.ref": "refs/heads/main"},
                              {"GITHUB_SHA": git(repo, "rev-parse", "HEAD"), "GITHUB_REF_NAME": "main"})

    # The first push has no bundle: the workflow builds it and commits it to main.
    assert push_to_main() == ["Validate", "Check the committed bundle; rebuild and commit it when stale"]
    assert git(origin, "log", "-1", "--format=%s", "main").startswith("Rebuild the bundle for")
    git(repo, "pull", "-q", "origin", "main")
    bundle = repo / BUNDLE_PATH
    assert mailgitops("bundle", "--root", repo, "--check", bundle).returncode == 0

    # A merged change makes it stale: rebuilt and committed again.
    git(repo, "switch", "-q", "-c", "friendlier-subject")
    change_german_subject(repo)
    git(repo, "switch", "-q", "main")
    git(repo, "merge", "-q", "--ff-only", "friendlier-subject")
    assert mailgitops("bundle", "--root", repo, "--check", bundle).returncode == 1
    merged = git(repo, "rev-parse", "HEAD")
    push_to_main()
    assert git(origin, "rev-parse", "main") != merged
    assert "rebuilt and committed" in summary.read_text(encoding="utf-8")

    # Fresh now: the next run commits nothing.
    git(repo, "pull", "-q", "origin", "main")
    head = git(origin, "rev-parse", "main")
    summary.unlink()
    push_to_main()
    assert git(origin, "rev-parse", "main") == head
    assert "is up to date" in summary.read_text(encoding="utf-8")


def _run_main_expecting(repo: Path, runner: Runner, ok: bool) -> subprocess.CompletedProcess[str]:
    """The bundle step of main.yml on `repo` as it is (no fetch first, like a run that started earlier)."""
    job = yaml.safe_load((repo / ".github" / "workflows" / "main.yml").read_text(encoding="utf-8"))["jobs"]
    (step,) = [s for s in job["bundle"]["steps"] if "bundle --check" in s.get("run", "")]
    env = runner.env({"BUNDLE": BUNDLE_PATH, "GITHUB_REF_NAME": "main"})
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                          cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    return proc


@pytest.mark.slow
def test_main_moving_on_during_the_run_is_left_to_the_newer_run(printroom: tuple[Path, Path],
                                                                 tmp_path: Path) -> None:
    repo, origin = printroom
    runner = Runner(repo, tmp_path / "runner")
    runner.temp.mkdir()
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(origin), str(other)], check=True)
    git(other, "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-q", "--allow-empty",
        "-m", "a second merge")
    git(other, "push", "-q", "origin", "main")
    newer = git(origin, "rev-parse", "main")
    proc = _run_main_expecting(repo, runner, ok=True)
    assert "::notice::main moved on" in proc.stdout
    assert git(origin, "rev-parse", "main") == newer


@pytest.mark.slow
def test_a_refused_push_fails_the_run_and_names_the_fix(printroom: tuple[Path, Path], tmp_path: Path) -> None:
    repo, origin = printroom
    hook = origin / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    runner = Runner(repo, tmp_path / "runner")
    runner.temp.mkdir()
    proc = _run_main_expecting(repo, runner, ok=False)
    assert "::error::cannot push the rebuilt bundle to main" in proc.stdout
    assert "branch protection" in proc.stdout


@pytest.mark.slow
def test_the_base_not_rendering_shows_every_email_as_added(printroom: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    repo, _ = printroom
    base_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "rm", "-q", "-r", "config")
    git(repo, "commit", "-q", "-m", "broken base")
    broken = git(repo, "rev-parse", "HEAD")
    git(repo, "revert", "--no-edit", "HEAD")
    # A browser that fails at once: every email is "added", and failed screenshots must not fail the job.
    runner = Runner(repo, tmp_path / "runner", chromium="/bin/false")
    runner.temp.mkdir()
    pull_request(runner, repo, 1, broken)
    summary = (repo / "previews" / "summary.md").read_text(encoding="utf-8")
    assert "added; 0 unchanged." in summary
    assert base_sha != broken


def test_workflow_order_matches_the_issue() -> None:
    """validate → render base and head → diff → screenshots → artifact → comment."""
    root = Path(__file__).parents[2]
    for wf in (root / ".github" / "workflows" / "pr.yml",
               root / "src" / "mailgitops" / "gitops" / "scaffold" / "github" / "workflows" / "pr.yml"):
        steps = yaml.safe_load(wf.read_text(encoding="utf-8"))["jobs"]["preview"]["steps"]
        # the previews' artifact by its name: this repository's own workflow uploads the console
        # screenshots of its test suite as another artifact, earlier
        text = [s.get("run", "") + s.get("uses", "") + str((s.get("with") or {}).get("name", ""))
                for s in steps]
        order = ["mailgitops validate --format github", "git worktree add", "mailgitops diff",
                 "previews/screenshots", "mailgitops.gitops.spamcheck", "email-previews",
                 "actions/github-script"]
        positions = [next(i for i, t in enumerate(text) if key in t) for key in order]
        assert positions == sorted(positions), wf


def test_workflows_use_the_bundle_path_the_dispatcher_expects() -> None:
    root = Path(__file__).parents[2]
    for wf in (root / ".github" / "workflows" / "main.yml",
               root / "src" / "mailgitops" / "gitops" / "scaffold" / "github" / "workflows" / "main.yml"):
        job = yaml.safe_load(wf.read_text(encoding="utf-8"))["jobs"]["bundle"]
        assert job["env"]["BUNDLE"] == BUNDLE_PATH
