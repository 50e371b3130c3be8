"""Requirement codes (S5, W3, T7, A1, RELIABILITY 13...) are the product contract's shorthand, not
words a print room knows: none appears in `--help`, in an error message, in the shipped config
(comments, schema descriptions) or in what `mailgitops init` writes."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from mailgitops.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"\b(?:RELIABILITY \d+|S(?:1[01]|[1-9])|T[1-9]|W[1-5]|A[1-5])\b")
COMMENT = re.compile(r"(?:^|\s)(#.*)$")


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, cmd in sorted(group.commands.items()):
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, (*path, name))
        else:
            yield (*path, name)


def _described(value: object) -> Iterator[str]:
    """`title` and `description` texts of a schema or catalog (what an editor shows)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in {"title", "description"} and isinstance(item, str):
                yield item
            else:
                yield from _described(item)
    elif isinstance(value, list):
        for item in value:
            yield from _described(item)


def user_texts(folder: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every text a user reads in a repository's files: YAML comments and
    descriptions, JSON schema descriptions, and all of any other text file (workflows, README)."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".git" not in p.parts):
        rel = path.relative_to(folder).as_posix()
        if path.suffix in {".png", ".jpg", ".gif", ".pdf", ".sqlite"}:
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".yaml":
            for n, line in enumerate(text.splitlines(), 1):
                if m := COMMENT.search(line):
                    yield f"{rel}:{n}", m[1]
            yield from ((rel, t) for t in _described(yaml.safe_load(text)))
        elif path.suffix == ".json":
            yield from ((rel, t) for t in _described(json.loads(text)))
        elif path.suffix != ".md" or "templates" not in path.parts:  # an email's text is the admin's
            yield rel, text


def codes_in(texts: Iterator[tuple[str, str]]) -> list[str]:
    return [f"{where}: {m[0]!r} in {text.strip()[:120]!r}" for where, text in texts
            for m in CODE.finditer(text)]


def test_no_code_in_any_help() -> None:
    found = []
    for path in _commands(cli):
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        found += [f"mailgitops {' '.join(path)} --help: {m[0]!r}" for m in CODE.finditer(result.output)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("part", ["config", "templates", "schema", "src/mailgitops/schemas"])
def test_no_code_in_the_shipped_repository(part: str) -> None:
    found = codes_in(user_texts(ROOT / part))
    assert not found, "\n".join(found)


def test_no_code_in_what_init_writes(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "printroom")])
    assert result.exit_code == 0, result.output
    found = codes_in(user_texts(tmp_path / "printroom"))
    assert not found, "\n".join(found)


def _docstring_nodes(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def test_no_code_in_any_message() -> None:
    """Every string in the code that is not a docstring (messages, hints, help, metrics text);
    command docstrings are the help, checked above."""
    found = []
    for path in sorted((ROOT / "src" / "mailgitops").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = _docstring_nodes(tree)
        found += [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value[:100]!r}" for node in ast.walk(tree)
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and id(node) not in docs and CODE.search(node.value)]
    assert not found, "\n".join(found)


def test_no_code_in_the_user_docs() -> None:
    """README and docs/ are read by admins, reviewers and the order system's developers, none of
    whom has the project's brief: a promise is said in words, never by its number there. (A5 is a
    paper size there, as in "A5 flyer".)"""
    codes = re.compile(r"\b(?:RELIABILITY \d+|S(?:1[01]|[1-9])|T[1-9]|W[1-5])\b")
    found = [f"{path.relative_to(ROOT)}:{n}: {m.group(0)}"
             for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
             for m in codes.finditer(line)]
    assert found == []
