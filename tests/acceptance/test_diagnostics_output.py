"""What the CLI prints for a bad repository, exactly: bad_repos/<case>/expected-output.txt holds
the command (`# mailgitops ...`: {root} is the repository, {out} a folder that does not exist
yet), the exit code (`# exit N`), and then exactly what the command prints (standard output,
then standard error). One explanation per problem, at its place, with its fix, and nothing else."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from acceptance.test_validate import CORPUS, build_repo

MAILGITOPS = Path(sys.executable).parent / "mailgitops"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected-output.txt").exists())


def expected(folder: Path) -> tuple[str, int, str]:
    text = (folder / "expected-output.txt").read_text(encoding="utf-8")
    command, exit_line, output = text.split("\n", 2)
    assert command.startswith("# mailgitops "), f"{folder.name}: the first line is the command"
    assert exit_line.startswith("# exit "), f"{folder.name}: the second line is `# exit N`"
    return command.removeprefix("# mailgitops "), int(exit_line.removeprefix("# exit ")), output


def test_the_exact_output_cases_are_there() -> None:
    assert len(CASES) >= 10


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_exact_output(folder: Path, tmp_path: Path) -> None:
    command, code, output = expected(folder)
    root, out = build_repo(folder, tmp_path / "repo"), tmp_path / "out"
    argv = [arg.replace("{root}", str(root)).replace("{out}", str(out)) for arg in shlex.split(command)]
    proc = subprocess.run([str(MAILGITOPS), *argv], capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path)
    got = (proc.stdout + proc.stderr).replace(str(root), "{root}").replace(str(out), "{out}")
    assert got == output
    assert proc.returncode == code, got
